"""Real-browser fixtures: one `streamlit run app.py` per module on a free port, and Debian's Chromium via Playwright."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from .serve import CHROMIUM, CHROMIUM_ARGS, Server, ServerFailed

HEADER = "X-Forwarded-Email"
ROLES = {"ops@example.com": "ops", "mkt@example.com": "marketing", "lead@example.com": "leadership"}


@pytest.fixture(scope="module")
def app_server(demo_world, tmp_path_factory):
    """The app on 127.0.0.1 with a private copy of the demo database and trusted-header identity."""
    yield from serve_app(demo_world["db"], tmp_path_factory.mktemp("e2e"))


@pytest.fixture(scope="module")
def hostile_server(hostile, tmp_path_factory):
    """The app serving the hostile world (tests/hostile_world.py)."""
    yield from serve_app(hostile["db"], tmp_path_factory.mktemp("e2e_hostile"))


def serve_app(database: Path | None, tmp: Path, **extra_env):
    """The app (tests/e2e/serve.py) on a private copy of `database` (None: a new file the app creates), with
    trusted-header identity; yield its url, database, log and folder."""
    db_path = tmp / "huddle.duckdb"
    if database is not None:
        shutil.copy(database, db_path)
    env = {**os.environ, "HUDDLE_DB": str(db_path), "HUDDLE_TRUSTED_HEADER": HEADER,
           "HUDDLE_ROLES": json.dumps(ROLES), **extra_env}
    server = Server(env, tmp / "streamlit.log")
    try:
        server.wait_healthy(120)
    except ServerFailed as exc:
        pytest.fail(str(exc))
    yield {"url": server.url, "db": db_path, "log": server.log, "dir": tmp}
    server.stop()


@pytest.fixture(scope="module")
def browser():
    """Headless Debian Chromium; fails (never skips) when it is not installed."""
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium is not installed at {CHROMIUM}: run `make browser` (apt-get install chromium) "
                    "before the browser tests")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


def new_page(browser, contexts: list, email: str | None, **options):
    """A page in a fresh browser context whose requests carry the proxy's identity header (the context is appended
    to `contexts` for closing); options such as color_scheme="dark" go to the context."""
    headers = {HEADER: email} if email else {}
    ctx = browser.new_context(**{"extra_http_headers": headers, "viewport": {"width": 1400, "height": 1800},
                                 "accept_downloads": True, **options})
    ctx.set_default_timeout(60_000)
    contexts.append(ctx)
    return ctx.new_page()


@pytest.fixture
def open_as(browser, app_server):
    """open_as(email or None, **context options) -> a fresh page whose requests carry the proxy's identity header."""
    contexts = []
    yield lambda email, **options: new_page(browser, contexts, email, **options)
    for ctx in contexts:
        ctx.close()
