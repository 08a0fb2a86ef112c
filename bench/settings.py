"""Benchmark settings: Parley's settings plus a trivial view as the baseline."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.urls"
