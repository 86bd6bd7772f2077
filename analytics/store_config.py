"""Which store Huddle uses: the local DuckDB file (the default) or a DuckLake catalog in PostgreSQL.

`--store` beats $HUDDLE_STORE. Unset means the local file (`--db` / $HUDDLE_DB / data/huddle.duckdb);
`ducklake:postgres:<libpq connection string>` means a DuckLake whose Parquet files live under `--data-path` /
$HUDDLE_DATA_PATH (a folder every replica and writer can reach).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

from . import db, settings

LAKE_PREFIX = "ducklake:postgres:"


class StoreConfigError(ValueError):
    """The store setting cannot be used as given."""


@dataclass(frozen=True)
class StoreConfig:
    """Where the data lives: kind 'file' (path) or 'ducklake' (catalog conninfo and data path)."""

    kind: str
    path: Path | None = None
    conninfo: str | None = None
    data_path: str | None = None

    @property
    def is_lake(self) -> bool:
        return self.kind == "ducklake"

    def spec(self) -> str:
        """The HUDDLE_STORE value naming this store ("" for the local file)."""
        return f"{LAKE_PREFIX}{self.conninfo}" if self.is_lake else ""

    def describe(self) -> str:
        """For messages and logs: the connection string without its password."""
        if not self.is_lake:
            return str(self.path)
        return f"{LAKE_PREFIX}{redact(self.conninfo or '')} (data in {self.data_path})"


def redact(conninfo: str) -> str:
    """A libpq connection string with any password replaced by ***."""
    conninfo = re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", conninfo, flags=re.I)
    return re.sub(r"(postgres(?:ql)?://[^:/@\s]+:)[^@\s]+@", r"\1***@", conninfo)


def resolve(store: str | None = None, db_path: str | os.PathLike | None = None,
            data_path: str | os.PathLike | None = None) -> StoreConfig:
    """The store named by the arguments, else by the environment, else the default local file."""
    spec = (store if store is not None else os.environ.get(settings.STORE_ENV, "")).strip()
    if not spec:
        return StoreConfig("file", path=db.resolve_path(db_path))
    if not spec.startswith(LAKE_PREFIX):
        raise StoreConfigError(f"unknown store {spec.split(':', 1)[0]!r}: leave HUDDLE_STORE unset for the local "
                               f"file, or use {LAKE_PREFIX}<connection string>")
    conninfo = spec[len(LAKE_PREFIX):].strip()
    if not conninfo:
        raise StoreConfigError(f"{LAKE_PREFIX} needs a PostgreSQL connection string, e.g. "
                               f"{LAKE_PREFIX}host=db.internal dbname=huddle user=huddle")
    folder = str(data_path) if data_path else os.environ.get(settings.DATA_PATH_ENV, "").strip()
    if not folder:
        raise StoreConfigError("a DuckLake store needs HUDDLE_DATA_PATH (or --data-path): the shared folder "
                               "for its data files")
    if "://" not in folder:
        folder = str(Path(folder).resolve())
    return StoreConfig("ducklake", conninfo=conninfo, data_path=folder.rstrip("/") + "/")
