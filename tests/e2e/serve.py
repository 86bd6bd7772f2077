"""`streamlit run app.py` on a free port of 127.0.0.1, for the browser tests, the shared-store replicas and the
page-speed benchmark (no pytest here: benchmarks/bench_pages_browser.py imports it as tests.e2e.serve)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("HUDDLE_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]


class ServerFailed(RuntimeError):
    """The server exited or did not answer its health check in time (the message ends with its log)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """One `streamlit run app.py` with the environment `env` (the whole of it), its output in `log`; started at once,
    `wait_healthy()` returns once it answers, `stop()` ends it."""

    def __init__(self, env: dict, log: Path):
        self.log = Path(log)
        self._out = self.log.open("w")
        self.url = f"http://127.0.0.1:{free_port()}"
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "app.py", "--server.address", "127.0.0.1",
             "--server.port", self.url.rsplit(":", 1)[1], "--server.headless", "true",
             "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"],
            cwd=ROOT, env=env, stdout=self._out, stderr=subprocess.STDOUT)

    def wait_healthy(self, seconds: float = 120) -> "Server":
        deadline = time.monotonic() + seconds
        while True:
            try:
                if urllib.request.urlopen(self.url + "/_stcore/health", timeout=2).read() == b"ok":
                    return self
            except OSError:
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise ServerFailed(f"streamlit did not start: {self.log.read_text(errors='replace')[-2000:]}")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self._out.close()


@contextmanager
def serve(env: dict, log: Path, seconds: float = 120):
    """A healthy server for the `with` block (see Server); its url."""
    server = Server(env, log)
    try:
        yield server.wait_healthy(seconds).url
    finally:
        server.stop()
