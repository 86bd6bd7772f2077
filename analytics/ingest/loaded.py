"""What is loaded: counts and date ranges per kind of data, and the data-health checks ops act on."""

from __future__ import annotations

import pandas as pd

from ..db import sql


def loaded_summary(con) -> pd.DataFrame:
    """One row per kind: records, first and last date, last upload."""
    return con.execute(sql("marts/fct_loaded.sql")).df()


def recent_uploads(con, limit: int = 10) -> pd.DataFrame:
    """The latest uploads, newest first."""
    return con.execute("""
        SELECT upload_id, kind, file_name, source_format, uploaded_by, uploaded_at, n_inserted AS inserted,
               n_updated AS updated, n_unchanged AS unchanged, n_rejected AS rejected, status
        FROM uploads ORDER BY upload_id DESC LIMIT $n""", {"n": limit}).df()


def is_empty(con) -> bool:
    """True when nothing has been loaded yet."""
    return con.execute("SELECT count(*) FROM uploads WHERE status = 'active'").fetchone()[0] == 0


def already_loaded(con, sha256: str) -> tuple[tuple[int, str, str], ...]:
    """Active uploads of exactly these bytes, oldest first, as (upload_id, file_name, kind): a repeat file."""
    return tuple(con.execute("SELECT upload_id, file_name, kind FROM uploads "
                             "WHERE sha256 = $sha AND status = 'active' ORDER BY upload_id",
                             {"sha": sha256}).fetchall())
