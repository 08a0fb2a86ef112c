"""Builds ``inbox/automation/_kwscan`` (the keyword engine's C part) in place.

    python inbox/automation/native/build.py [--if-stale]

Run by ``bin/setup`` with ``--if-stale``: only when the module is missing or was built from
other sources (``native.built_module``). Needs a C compiler and the Python headers (``gcc``
and ``python3-dev``; both are on the machines Parley is developed and tested on). Without
them the engine still works, in pure Python and slower: ``keywords.NATIVE`` says which runs.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
sys.path.insert(0, str(ROOT))

from inbox.automation.native import built_module, gen_tables  # noqa: E402


def build() -> Path:
    from setuptools import Distribution, Extension
    from setuptools.command.build_ext import build_ext

    with tempfile.TemporaryDirectory() as tmp:
        (Path(tmp) / "kwscan_tables.h").write_text(gen_tables.render())
        extension = Extension(
            "inbox.automation._kwscan",
            sources=[str((HERE / "kwscan.c").relative_to(ROOT))],
            include_dirs=[tmp],
            extra_compile_args=["-O2", "-Wall", "-Werror", "-Wno-unused-function"],
        )
        dist = Distribution({"name": "parley-kwscan", "ext_modules": [extension]})
        dist.script_name = "build.py"
        command = build_ext(dist)
        command.inplace = True
        command.force = True  # the generated header is not a tracked dependency
        command.build_temp = str(Path(tmp) / "temp")
        command.build_lib = str(Path(tmp) / "lib")
        command.ensure_finalized()
        command.run()
        return Path(command.get_ext_fullpath(extension.name))


if __name__ == "__main__":
    import os

    if "--if-stale" in sys.argv and built_module()[0] is not None:
        sys.exit(0)
    os.chdir(ROOT)
    print(f"built {build()}")
