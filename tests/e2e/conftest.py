"""Browser tests: a real ASGI server (uvicorn, websockets included) against the test database
and headless Chromium driven by Playwright.

Reusable fixtures:
- `asgi_server` (session): base URL of `uvicorn config.asgi:application` running in a
  subprocess on the test database with `tests.e2e.settings`. Tests must commit their data:
  mark them `@pytest.mark.django_db(transaction=True)`.
- `browser` (session): headless Debian Chromium (`/usr/bin/chromium`).
- `new_page(user)`: a signed-in page in a fresh browser context (one per call, so two
  agents can work side by side).
- `e2e_redis_layer`: points this process's channel layer at the server's Redis layer, so a
  test can `broadcast(...)` like a background worker would; skips when Redis is absent.
All tests here are marked `e2e` and skipped when Chromium is not installed.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from tests.requirements import missing

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-background-networking",
    "--disable-gpu",
    "--disable-component-update",
    "--no-first-run",
]
PASSWORD = "pw-for-tests-1"  # tests.factories.UserFactory


def pytest_collection_modifyitems(config, items):
    browser_tests = []
    for item in items:
        if "tests/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)
            if not Path(CHROMIUM).exists():
                item.add_marker(pytest.mark.skip(reason="needs /usr/bin/chromium"))
            browser_tests.append(item)
    # Browser tests last: Playwright's sync API keeps an event loop in the main thread while
    # it runs, which would break async_to_sync in ordinary tests collected after them.
    if browser_tests:
        others = [item for item in items if item not in browser_tests]
        items[:] = others + browser_tests


def _redis_url() -> str:
    url = os.environ.get("E2E_REDIS_URL") or os.environ.get("REDIS_URL") or ""
    return url or "redis://127.0.0.1:6379/3"


def _redis_answers(url: str) -> bool:
    try:
        import redis

        return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
    except Exception:
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _database_url(settings_dict) -> str:
    user = settings_dict.get("USER") or "postgres"
    password = settings_dict.get("PASSWORD") or ""
    auth = f"{user}:{password}@" if password else f"{user}@"
    host = settings_dict.get("HOST") or "127.0.0.1"
    port = settings_dict.get("PORT") or "5432"
    if host.startswith("/"):
        from urllib.parse import quote

        return f"postgres://{auth}{quote(host, safe='')}:{port}/{settings_dict['NAME']}"
    return f"postgres://{auth}{host}:{port}/{settings_dict['NAME']}"


@pytest.fixture(scope="session")
def asgi_server(django_db_setup, django_db_blocker):
    from django.db import connection

    port = _free_port()
    env = {k: v for k, v in os.environ.items() if k not in ("REDIS_URL",)}
    env.update(
        DATABASE_URL=_database_url(connection.settings_dict),
        DJANGO_SETTINGS_MODULE="tests.e2e.settings",
        DEBUG="true",
        ALLOWED_HOSTS="127.0.0.1,localhost",
        ACCOUNT_EMAIL_VERIFICATION="none",
        LOG_LEVEL="WARNING",
        PYTHONPATH=str(ROOT),
    )
    redis_url = _redis_url()
    if _redis_answers(redis_url):
        env["E2E_REDIS_URL"] = redis_url
    (ROOT / ".data").mkdir(exist_ok=True)
    log = open(ROOT / ".data" / "e2e-server.log", "w")  # noqa: SIM115 (closed after the session)
    process = subprocess.Popen(
        [
            sys.executable, "-m", "uvicorn", "config.asgi:application",
            "--host", "127.0.0.1", "--port", str(port), "--ws", "websockets",
            "--log-level", "warning", "--no-access-log",
        ],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
    )  # fmt: skip
    base_url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        try:
            urllib.request.urlopen(base_url + "/accounts/login/", timeout=2)  # noqa: S310
            break
        except Exception:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                pytest.fail("the ASGI server did not start (see .data/e2e-server.log)")
            time.sleep(0.3)
    with _flush_retried_on_deadlock():
        yield {"url": base_url, "redis": env.get("E2E_REDIS_URL", "")}
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
    log.close()


@pytest.fixture(scope="module")
def browser():
    """Per test module, so Playwright's event loop is gone after the module's tests."""
    from playwright.sync_api import sync_playwright

    # Playwright's sync API runs an event loop in this thread; the ORM calls the test itself
    # makes between browser steps are still plain synchronous code.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    playwright = sync_playwright().start()
    chromium = playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield chromium
    chromium.close()
    playwright.stop()
    if previous is None:
        os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    else:
        os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


def sign_in(page, user) -> None:
    """Sign in on the sign-in page and wait until the session exists: the next navigation must
    not race the sign-in POST (on a loaded machine it did, and landed back on the sign-in page)."""
    page.goto("/accounts/login/")
    page.fill("input[name=login]", user.email)
    page.fill("input[name=password]", PASSWORD)
    # The sign-in form's own button: the header's language switch is a form of buttons too.
    button = page.locator("input[name=password]").locator("xpath=ancestor::form")
    with page.expect_navigation():
        button.locator("button[type=submit]").click()
    assert "/accounts/login/" not in page.url, f"{user.email} could not sign in"
    page.wait_for_load_state("networkidle")


@pytest.fixture
def new_page(browser, asgi_server):
    contexts = []

    def make(user, path: str = ""):
        context = browser.new_context(
            base_url=asgi_server["url"], viewport={"width": 1400, "height": 900}
        )
        context.set_default_timeout(10_000)
        contexts.append(context)
        page = context.new_page()
        sign_in(page, user)
        if path:
            page.goto(path)
        return page

    yield make
    for context in contexts:
        context.close()
    _let_the_server_finish()


@contextlib.contextmanager
def _flush_retried_on_deadlock(attempts: int = 5):
    """The flush between transactional tests TRUNCATEs every table; a request the server
    starts at that moment can deadlock with it (seen twice in CI, even after waiting for
    in-flight queries). PostgreSQL then rolls the flush back whole, so it is simply run
    again."""
    from django.core.management.base import CommandError
    from django.core.management.commands.flush import Command

    handle = Command.handle

    def retried(self, **options):
        for attempt in range(attempts):
            try:
                return handle(self, **options)
            except CommandError as error:
                if "deadlock" not in str(error.__cause__) or attempt == attempts - 1:
                    raise
                _let_the_server_finish()

    Command.handle = retried
    try:
        yield
    finally:
        Command.handle = handle


def _let_the_server_finish(timeout: float = 5.0) -> None:
    """Wait for the server's in-flight queries before the test database is flushed: a request
    a closing page had just made can otherwise deadlock with the flush's TRUNCATE."""
    from django.db import connection

    busy = (
        "FROM pg_stat_activity WHERE datname = current_database() "
        "AND pid <> pg_backend_pid() AND state <> 'idle'"
    )
    deadline = time.monotonic() + timeout
    with connection.cursor() as cursor:
        while True:
            cursor.execute(f"SELECT count(*) {busy}")  # noqa: S608 (constant SQL)
            if cursor.fetchone()[0] == 0 or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        cursor.execute(f"SELECT pg_terminate_backend(pid) {busy}")  # noqa: S608


@pytest.fixture
def e2e_redis_layer(asgi_server, settings):
    """This process's `broadcast` reaches the server's websockets (through Redis)."""
    if not asgi_server["redis"]:
        missing("needs Redis for cross-process live updates")
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {"hosts": [asgi_server["redis"]], "prefix": "parley-e2e"},
        }
    }
    yield
