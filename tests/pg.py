"""A throw-away PostgreSQL for tests: one cluster per test session, a fresh database per test, no mocks.

Debian's `postgresql` package provides the binaries (`make test` and CI install it). The cluster lives in a temp
folder owned by the `postgres` user when the tests run as root (initdb refuses root), listens only on a unix socket
in its own folder, and runs with fsync off. Without the binaries the tests that need it are skipped, except in CI,
where they fail.
"""

from __future__ import annotations

import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path

import pytest

PORT = 5432   # only names the socket file; the socket folder is private to the cluster


def find_bin_dir() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else the newest under /usr/lib/postgresql."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(os.path.realpath(on_path)).parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                      key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return versions[-1].parent if versions else None


class Cluster:
    """A running PostgreSQL cluster in a temp folder; `conninfo(dbname)` is a libpq connection string for it."""

    def __init__(self, bin_dir: Path):
        self.bin_dir = bin_dir
        self.root = Path(tempfile.mkdtemp(prefix="huddle-pg-"))
        self.data = self.root / "data"
        self.socket_dir = self.root / "sock"
        self.log = self.root / "server.log"
        self.user = None   # run the server as this OS user (postgres when we are root)
        self._databases = 0

    def _run(self, *args: str) -> None:
        kwargs = {"user": self.user} if self.user else {}
        done = subprocess.run([str(self.bin_dir / args[0]), *args[1:]], capture_output=True, text=True,
                              cwd=self.root, **kwargs)
        if done.returncode:
            log = self.log.read_text(errors="replace")[-2000:] if self.log.exists() else ""
            raise RuntimeError(f"{args[0]} failed ({done.returncode}): {done.stderr.strip()}\n{log}")

    def start(self) -> "Cluster":
        self.socket_dir.mkdir()
        if os.geteuid() == 0:
            self.user = "postgres"   # made by Debian's postgresql package
            pw = pwd.getpwnam(self.user)
            for p in (self.root, self.socket_dir):
                os.chown(p, pw.pw_uid, pw.pw_gid)
        self._run("initdb", "-D", str(self.data), "-U", "postgres", "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync", "--no-instructions")
        options = (f"-F -p {PORT} -k {self.socket_dir} -c listen_addresses='' -c synchronous_commit=off "
                   "-c full_page_writes=off -c max_connections=100")
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "-t", "60", "start")
        return self

    def stop(self) -> None:
        if self.data.exists():
            try:
                self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
            except RuntimeError:
                pass   # already stopped
        shutil.rmtree(self.root, ignore_errors=True)

    def conninfo(self, dbname: str = "postgres") -> str:
        return f"host={self.socket_dir} port={PORT} user=postgres dbname={dbname}"

    def admin(self, statement: str) -> None:
        import psycopg
        with psycopg.connect(self.conninfo(), autocommit=True) as con:
            con.execute(statement)

    def create_database(self) -> str:
        self._databases += 1
        name = f"huddle_test_{self._databases}"
        self.admin(f"CREATE DATABASE {name}")
        return name

    def drop_database(self, name: str) -> None:
        self.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


def _unavailable(reason: str):
    if os.environ.get("CI"):
        pytest.fail(f"PostgreSQL is required in CI: {reason}")
    pytest.skip(f"PostgreSQL not available: {reason}")


@pytest.fixture(scope="session")
def pg_cluster():
    """One throw-away PostgreSQL cluster for the whole test session."""
    bin_dir = find_bin_dir()
    if bin_dir is None:
        _unavailable("no initdb/pg_ctl (apt-get install postgresql)")
    try:
        import psycopg  # noqa: F401
    except ImportError:
        _unavailable("psycopg is not installed")
    cluster = Cluster(bin_dir)
    try:
        cluster.start()
    except Exception:
        cluster.stop()
        raise
    yield cluster
    cluster.stop()


@pytest.fixture
def pg_database(pg_cluster):
    """A fresh, empty database for one test; its libpq connection string."""
    name = pg_cluster.create_database()
    yield pg_cluster.conninfo(name)
    pg_cluster.drop_database(name)


@pytest.fixture
def shared_store(pg_database, tmp_path):
    """A migrated DuckLake store on a fresh PostgreSQL database, with its data files under tmp_path/lake."""
    from analytics import stores
    cfg = stores.resolve(f"ducklake:postgres:{pg_database}", data_path=tmp_path / "lake")
    yield stores.open_lake(cfg)
    stores.forget(cfg)
