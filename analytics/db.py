"""Opening the Huddle database: path resolution, schema migration, SQL file loading and transactions."""

from __future__ import annotations

import os
import re
import time
import weakref
from contextlib import contextmanager
from datetime import datetime, timezone
from functools import lru_cache
from collections.abc import Iterator
from pathlib import Path

import duckdb

from . import settings

ROOT = Path(__file__).resolve().parent.parent
SQL_DIR = ROOT / "sql"
DEFAULT_DB = ROOT / "data" / "huddle.duckdb"

# Normalizes a person's name for matching: accents, case, punctuation, spacing, "Last, First".
MACROS = r"""
CREATE OR REPLACE MACRO name_key(x) AS nullif(trim(regexp_replace(regexp_replace(
    lower(strip_accents(CASE WHEN regexp_matches(x, '^[^,]+,[^,]+$')
                             THEN trim(split_part(x, ',', 2)) || ' ' || trim(split_part(x, ',', 1))
                             ELSE x END)),
    '[^a-z0-9]+', ' ', 'g'), '\s+', ' ', 'g')), '');
CREATE OR REPLACE MACRO text_key(x) AS nullif(trim(regexp_replace(regexp_replace(
    lower(strip_accents(x)), '[^a-z0-9]+', ' ', 'g'), '\s+', ' ', 'g')), '');
CREATE OR REPLACE MACRO email_key(x) AS nullif(lower(trim(x)), '');
"""


class DatabaseBusy(RuntimeError):
    """Another process holds the database file."""


def resolve_path(path: str | os.PathLike | None = None) -> Path:
    """--db, else $HUDDLE_DB, else data/huddle.duckdb."""
    if path:
        return Path(path)
    env = os.environ.get(settings.DB_ENV)
    return Path(env) if env else DEFAULT_DB


# Open transactions per connection (or cursor): DuckDB has no savepoints, so a nested block joins the outer one.
_DEPTH: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@contextmanager
def atomic(con: duckdb.DuckDBPyConnection, *, rollback: bool = False) -> Iterator[duckdb.DuckDBPyConnection]:
    """One transaction: COMMIT at the end (ROLLBACK with rollback=True, for previews), ROLLBACK and re-raise on error.

    A block inside another joins it: its error rolls back the whole outer transaction, which is what callers of a
    nested step expect without savepoints.
    """
    depth = _DEPTH.get(con, 0)
    if depth:
        if rollback:
            raise RuntimeError("a rolled-back preview cannot run inside another transaction")
        _DEPTH[con] = depth + 1
        try:
            yield con
        finally:
            _DEPTH[con] = depth
        return
    con.execute("BEGIN TRANSACTION")
    _DEPTH[con] = 1
    try:
        yield con
    except BaseException:
        _DEPTH.pop(con, None)
        _rollback_quietly(con)
        raise
    _DEPTH.pop(con, None)
    if rollback:
        con.execute("ROLLBACK")
    else:
        try:
            con.execute("COMMIT")
        except BaseException:
            _rollback_quietly(con)
            raise


def _rollback_quietly(con: duckdb.DuckDBPyConnection) -> None:
    """ROLLBACK after a failure; an error of the rollback itself must not hide the failure that caused it."""
    try:
        con.execute("ROLLBACK")
    except duckdb.Error:
        pass


INCLUDE = re.compile(r"\{\{\s*([\w/]+\.sql)\s*\}\}")


@lru_cache(maxsize=None)
def sql(name: str) -> str:
    """Text of a SQL file under sql/, e.g. sql('marts/fct_deals.sql'); `{{ marts/x.sql }}` includes another file."""
    text = (SQL_DIR / name).read_text(encoding="utf-8")
    return INCLUDE.sub(lambda m: sql(m.group(1)), text)


def migrations() -> list[tuple[int, Path]]:
    """Schema files as (version, path), in order."""
    out = []
    for p in sorted((SQL_DIR / "schema").glob("*.sql")):
        m = re.match(r"(\d+)_", p.name)
        if m:
            out.append((int(m.group(1)), p))
    return out


def migrate(con: duckdb.DuckDBPyConnection) -> int:
    """Create or upgrade the schema; returns the schema version now in force."""
    con.execute("CREATE TABLE IF NOT EXISTS schema_version (version INTEGER, applied_at TIMESTAMP)")
    current = con.execute("SELECT coalesce(max(version), 0) FROM schema_version").fetchone()[0]
    for version, path in migrations():
        if version <= current:
            continue
        with atomic(con):
            con.execute(path.read_text(encoding="utf-8"))
            con.execute("INSERT INTO schema_version VALUES ($v, $t)", {"v": version, "t": _now()})
        current = version
    try:
        con.execute("SELECT text_key('x'), name_key('x'), email_key('x')")   # cheaper than duckdb_functions()
    except duckdb.CatalogException:
        con.execute(MACROS)
    return current


def connect(path: str | os.PathLike | None = None, read_only: bool = False,
            wait_seconds: float = 30.0) -> duckdb.DuckDBPyConnection:
    """Open (and migrate) the database, waiting while another process holds the file."""
    target = resolve_path(path)
    if str(target) != ":memory:":
        target.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + wait_seconds
    delay = 0.1
    while True:
        try:
            con = duckdb.connect(str(target), read_only=read_only and target.exists())
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower() or time.monotonic() >= deadline:
                if "lock" in str(exc).lower():
                    raise DatabaseBusy(
                        f"the database {target} is in use by another process; "
                        "try again when it is free") from None
                raise
            time.sleep(delay)
            delay = min(delay * 2, 1.0)
    if not (read_only and target.exists()):
        migrate(con)
    return con


def data_version(con: duckdb.DuckDBPyConnection) -> int:
    """A number that changes with every upload or undo (the cache key for pages)."""
    return con.execute("SELECT coalesce(max(version), 0) FROM data_version").fetchone()[0]


def bump_data_version(con: duckdb.DuckDBPyConnection) -> None:
    """Mark the data as changed (pages' caches and stored results key on data_version)."""
    con.execute("INSERT INTO data_version SELECT coalesce(max(version), 0) + 1, $t FROM data_version",
                {"t": _now()})


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
