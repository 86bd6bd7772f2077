"""Rebuilding the current tables from the versions of active uploads."""

from __future__ import annotations

from .catalog import rebuild_messages
from .db import bump_data_version, sql
from .identity import rebuild_reps


def rebuild(con) -> None:
    """Resolve reps and messages, then rebuild opportunities, quiz attempts and feedback (inside the caller's transaction)."""
    con.execute(sql("staging/stg_latest_versions.sql"))
    rebuild_reps(con)
    rebuild_messages(con)
    for name in ("opportunities", "quiz_attempts", "feedback"):
        con.execute(sql(f"build/{name}.sql"))
    bump_data_version(con)
