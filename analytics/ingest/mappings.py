"""Remembered column mappings: what ops settled once for a file shape (kind + header fingerprint), reused after."""

from __future__ import annotations

import hashlib
import json
from datetime import datetime, timezone

import duckdb

from ..db import atomic
from .errors import IngestError
from .profile import fold


def fingerprint(headers: list[str]) -> str:
    """The shape of an export: its headers folded (case, accents, punctuation), in order."""
    return hashlib.sha256("\x1f".join(fold(h) for h in headers).encode()).hexdigest()


def remembered(con, kind: str, headers: list[str]) -> dict | None:
    """The stored mapping for this file shape, or None (also on a database a reader opened before version 3)."""
    try:
        row = con.execute("SELECT mapping_id, columns_json, created_by, created_at FROM column_mappings "
                          "WHERE kind = $kind AND fingerprint = $fp",
                          {"kind": kind, "fp": fingerprint(headers)}).fetchone()
    except duckdb.CatalogException:
        return None
    if row is None:
        return None
    return {"mapping_id": row[0], "columns": json.loads(row[1]), "created_by": row[2], "created_at": row[3]}


def remembered_kind(con, headers: list[str]) -> str | None:
    """The kind of the mapping settled last for files of this shape, or None."""
    try:
        row = con.execute("SELECT kind FROM column_mappings WHERE fingerprint = $fp "
                          "ORDER BY coalesce(last_used_at, created_at) DESC LIMIT 1",
                          {"fp": fingerprint(headers)}).fetchone()
    except duckdb.CatalogException:
        return None
    return row[0] if row else None


def mark_used(con, mapping_id: int) -> None:
    con.execute("UPDATE column_mappings SET n_used = n_used + 1, last_used_at = $t WHERE mapping_id = $id",
                {"id": mapping_id, "t": _now()})


def remember(con, kind: str, headers: list[str], columns: dict[str, str], who: str | None) -> int:
    """Store (or replace) the mapping settled for this file shape; returns its id."""
    fp = fingerprint(headers)
    payload = json.dumps(dict(sorted(columns.items())), ensure_ascii=False)
    with atomic(con):
        return _store(con, kind, fp, headers, payload, who)


def _store(con, kind: str, fp: str, headers: list[str], payload: str, who: str | None) -> int:
    old = con.execute("SELECT mapping_id FROM column_mappings WHERE kind = $kind AND fingerprint = $fp",
                      {"kind": kind, "fp": fp}).fetchone()
    if old:
        con.execute("UPDATE column_mappings SET columns_json = $c, created_by = $who, created_at = $t "
                    "WHERE mapping_id = $id", {"c": payload, "who": who, "t": _now(), "id": old[0]})
        return old[0]
    new_id = con.execute("SELECT coalesce(max(mapping_id), 0) + 1 FROM column_mappings").fetchone()[0]
    con.execute("INSERT INTO column_mappings (mapping_id, kind, fingerprint, headers_json, columns_json, created_by, "
                "created_at) VALUES ($id, $kind, $fp, $h, $c, $who, $t)",
                {"id": new_id, "kind": kind, "fp": fp, "h": json.dumps(headers, ensure_ascii=False), "c": payload,
                 "who": who, "t": _now()})
    return new_id


def list_mappings(con):
    """Every remembered mapping, newest first."""
    return con.execute("""
        SELECT mapping_id, kind, columns_json AS columns, headers_json AS headers, created_by, created_at,
               last_used_at, n_used
        FROM column_mappings ORDER BY mapping_id DESC
    """).df()


def delete_mapping(con, mapping_id: int) -> dict:
    """Forget one mapping; the next export of that shape goes back to inference."""
    row = con.execute("SELECT kind, columns_json FROM column_mappings WHERE mapping_id = $id",
                      {"id": mapping_id}).fetchone()
    if row is None:
        raise IngestError(f"no remembered mapping with id {mapping_id}")
    with atomic(con):
        con.execute("DELETE FROM column_mappings WHERE mapping_id = $id", {"id": mapping_id})
    return {"mapping_id": mapping_id, "kind": row[0], "columns": json.loads(row[1])}


def _now() -> datetime:
    return datetime.now(timezone.utc).replace(tzinfo=None)
