"""The shared store: a DuckLake catalog in PostgreSQL with Parquet data files, one attached instance per process.

Loading the two extensions and attaching costs about a second or two, so a process opens the lake once (`get`) and
hands out a cursor per request. Extensions come from the `duckdb-extension-*` packages (bundled in their wheels)
and are INSTALLed into a folder inside the environment with automatic download off: nothing is fetched at run
time. Readers work at one snapshot per request; writers go through analytics.lake_write (one at a time).
"""

from __future__ import annotations

import importlib.util
import re
import sys
import threading
from contextlib import contextmanager
from pathlib import Path

import duckdb
import psycopg

from . import db
from .store_config import StoreConfig

ALIAS = "lake"
EXTENSIONS = ("ducklake", "postgres")
INLINING_ROW_LIMIT = 0
# What DuckLake cannot store or enforce; a schema file using one fails loudly instead of being quietly altered.
UNSUPPORTED = re.compile(r"\bCHECK\s*\(|\bCREATE\s+(UNIQUE\s+)?INDEX\b|\bSEQUENCE\b|\bnextval\b|\bON\s+CONFLICT\b"
                         r"|\bINSERT\s+OR\b|\bFOREIGN\s+KEY\b|\bREFERENCES\b", re.I)
KEYS = re.compile(r"\s+(PRIMARY\s+KEY|UNIQUE)\b", re.I)
TABLE_KEYS = re.compile(r",\s*(PRIMARY\s+KEY|UNIQUE)\s*\([^)]*\)", re.I)   # e.g. `, UNIQUE (kind, fingerprint)`
COMMENTS_OR_STRINGS = re.compile(r"'(?:[^']|'')*'|--[^\n]*")


class LakeError(RuntimeError):
    """The shared store cannot be opened or used as configured."""


def extension_directory() -> Path:
    """Where this environment keeps its DuckDB extensions (inside the venv, not the user's home)."""
    return Path(sys.prefix) / "duckdb_extensions"


def bundled_extension(name: str) -> Path:
    """The extension file shipped in the `duckdb-extension-<name>` package for the installed DuckDB."""
    spec = importlib.util.find_spec(f"duckdb_extension_{name}")
    if spec is None or not spec.submodule_search_locations:
        raise LakeError(f"the package duckdb-extension-{name}=={duckdb.__version__} is not installed "
                        "(pip install -r requirements.txt)")
    path = Path(list(spec.submodule_search_locations)[0]) / "extensions" / f"v{duckdb.__version__}" / \
        f"{name}.duckdb_extension"
    if not path.exists():
        found = sorted(p.parent.name for p in path.parent.parent.glob("v*/*.duckdb_extension"))
        raise LakeError(f"duckdb-extension-{name} has no build for DuckDB {duckdb.__version__} "
                        f"(it has {', '.join(found) or 'none'}); install matching versions")
    return path


def load_extensions(con: duckdb.DuckDBPyConnection) -> None:
    """Install (once, from the wheels) and load ducklake and postgres; never downloads."""
    installed = {n for n, ok in con.execute("SELECT extension_name, installed FROM duckdb_extensions()").fetchall()
                 if ok}
    for name in EXTENSIONS:
        if {"postgres": "postgres_scanner"}.get(name, name) not in installed:
            # INSTALL, not LOAD by path: the postgres file's entry point only resolves once installed.
            con.execute(f"INSTALL '{bundled_extension(name)}'")
        con.execute(f"LOAD {name}")


def open_connection(cfg: StoreConfig) -> duckdb.DuckDBPyConnection:
    """A new DuckDB instance with the lake attached as `lake` and in use (costly: once per process)."""
    ext_dir = extension_directory()
    ext_dir.mkdir(parents=True, exist_ok=True)
    con = duckdb.connect(config={"autoinstall_known_extensions": False, "autoload_known_extensions": False,
                                 "extension_directory": str(ext_dir)})
    try:
        con.execute("SET enable_progress_bar = false")     # never on stdout, where the CLI writes JSON/CSV
        # Data files never change once written: keep their footers in memory across requests.
        con.execute("SET parquet_metadata_cache = true")
        load_extensions(con)
        if "://" not in (cfg.data_path or ""):
            Path(cfg.data_path).mkdir(parents=True, exist_ok=True)
        # No rows inlined in the catalog: each scan of an inlining table costs three more catalog queries (measured:
        # 91 -> 61 per page query); the small files tiny writes make instead are merged by `maintain`.
        con.execute(f"ATTACH {_quote('ducklake:postgres:' + cfg.conninfo)} AS {ALIAS} "
                    f"(DATA_PATH {_quote(cfg.data_path)}, DATA_INLINING_ROW_LIMIT {INLINING_ROW_LIMIT})")
        con.execute(f"USE {ALIAS}")
    except duckdb.Error as exc:
        con.close()
        raise LakeError(f"cannot open the shared store {cfg.describe()}: {str(exc).splitlines()[0]}") from None
    return con


def _quote(text: str) -> str:
    """A SQL string literal (ATTACH takes no bound parameters)."""
    return "'" + text.replace("'", "''") + "'"


def lake_ddl(text: str) -> str:
    """A schema file as DuckLake accepts it: the same tables without PRIMARY KEY/UNIQUE (ids come from the writer)."""
    code = COMMENTS_OR_STRINGS.sub(lambda m: m.group(0) if m.group(0).startswith("'") else "", text)
    bad = UNSUPPORTED.search(code)
    if bad:
        raise LakeError(f"DuckLake cannot store {bad.group(0).strip()!r}: write the schema without it")
    return KEYS.sub("", TABLE_KEYS.sub("", code))


class Lake:
    """One attached lake per process; `cursor()` per request, `reading()` for a request at one snapshot."""

    def __init__(self, cfg: StoreConfig):
        self.cfg = cfg
        self.con = open_connection(cfg)
        self._lock = threading.Lock()
        self._catalog = None                # a plain PostgreSQL connection for latest_snapshot_id
        self._catalog_lock = threading.Lock()

    def cursor(self, begin: bool = False) -> duckdb.DuckDBPyConnection:
        """A connection of its own (own transaction and temp tables) on the shared instance, using the lake.

        begin: in a transaction begun before `USE` (outside one, `USE` alone costs a catalog transaction).
        """
        with self._lock:
            cur = self.con.cursor()
        if begin:
            cur.execute("BEGIN TRANSACTION")
        cur.execute(f"USE {ALIAS}")
        return cur

    def snapshot_id(self, cur: duckdb.DuckDBPyConnection | None = None) -> int:
        """The snapshot `cur` reads (in a transaction: the one it began at), else the latest."""
        if cur is not None:
            return cur.execute(f"SELECT id FROM {ALIAS}.current_snapshot()").fetchall()[0][0]
        return self.latest_snapshot_id()

    def latest_snapshot_id(self) -> int:
        """The newest committed snapshot, asked of the catalog in one query (the dashboard asks on every cached
        call; a DuckDB transaction for it would cost five catalog round-trips)."""
        with self._catalog_lock:
            for attempt in range(2):
                try:
                    if self._catalog is None or self._catalog.closed:
                        self._catalog = psycopg.connect(self.cfg.conninfo, autocommit=True,
                                                        application_name="huddle reader")
                    latest = "SELECT max(snapshot_id) FROM public.ducklake_snapshot"
                    return self._catalog.execute(latest).fetchone()[0]
                except psycopg.OperationalError:
                    if self._catalog is not None:
                        self._catalog.close()
                    self._catalog = None
                    if attempt:
                        raise

    @contextmanager
    def reading(self):
        """(cursor, snapshot id) for one request: every query in it sees that snapshot and no later commit."""
        cur = self.cursor(begin=True)
        try:
            yield cur, self.snapshot_id(cur)
        finally:
            db.rollback_quietly(cur)
            cur.close()

    def close(self) -> None:
        with self._catalog_lock:
            if self._catalog is not None:
                self._catalog.close()
                self._catalog = None
        self.con.close()


_instances: dict[StoreConfig, Lake] = {}
_instances_lock = threading.Lock()


def get(cfg: StoreConfig) -> Lake:
    """The process's lake for this configuration, opened on first use."""
    with _instances_lock:
        lake = _instances.get(cfg)
        if lake is None:
            lake = _instances[cfg] = Lake(cfg)
        return lake


def forget(cfg: StoreConfig) -> None:
    """Close and drop the process's lake for cfg (tests; a process otherwise keeps it)."""
    with _instances_lock:
        lake = _instances.pop(cfg, None)
    if lake is not None:
        lake.close()


def pending_migrations(cur) -> list[tuple[int, str]]:
    """Schema files not yet applied to the lake, as (version, DuckLake DDL)."""
    cur.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER, applied_at TIMESTAMP)")
    current = cur.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
    return [(v, lake_ddl(p.read_text(encoding="utf-8"))) for v, p in db.migrations() if v > current]
