"""Listing reps and the people who match no roster rep."""

from __future__ import annotations

from ..db import sql


def list_reps(con, unmatched_only: bool = False):
    """Reps with where they were seen; unmatched_only keeps those not on the roster."""
    return con.execute(sql("queries/reps.sql"), {"unmatched_only": unmatched_only}).df()
