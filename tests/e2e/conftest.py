"""Real-browser fixtures: one `streamlit run app.py` per module on a free port, and Debian's Chromium via Playwright."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from .e2e_helpers import ROOT

CHROMIUM = os.environ.get("HUDDLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
HEADER = "X-Forwarded-Email"
ROLES = {"ops@example.com": "ops", "mkt@example.com": "marketing", "lead@example.com": "leadership"}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def app_server(demo_world, tmp_path_factory):
    """The app on 127.0.0.1 with a private copy of the demo database and trusted-header identity."""
    yield from serve(demo_world["db"], tmp_path_factory.mktemp("e2e"))


@pytest.fixture(scope="module")
def hostile_server(hostile, tmp_path_factory):
    """The app serving the hostile world (tests/hostile_world.py)."""
    yield from serve(hostile["db"], tmp_path_factory.mktemp("e2e_hostile"))


def serve(database: Path | None, tmp: Path, **extra_env):
    """Run `streamlit run app.py` on a private copy of `database` (None: a new file the app creates); yield its url,
    database, log and folder."""
    db_path = tmp / "huddle.duckdb"
    if database is not None:
        shutil.copy(database, db_path)
    port = free_port()
    env = {**os.environ, "HUDDLE_DB": str(db_path), "HUDDLE_TRUSTED_HEADER": HEADER,
           "HUDDLE_ROLES": json.dumps(ROLES), **extra_env}
    log = (tmp / "streamlit.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
         "--server.port", str(port), "--server.headless", "true", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            if urllib.request.urlopen(url + "/_stcore/health", timeout=2).read() == b"ok":
                break
        except OSError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"streamlit did not start: {(tmp / 'streamlit.log').read_text()[-2000:]}")
        time.sleep(0.3)
    yield {"url": url, "db": db_path, "log": tmp / "streamlit.log", "dir": tmp}
    proc.terminate()
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
    log.close()


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
