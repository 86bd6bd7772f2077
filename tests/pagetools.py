"""Helpers for page tests: sign in with a role, plant formula-like names, read a CSV download."""

from __future__ import annotations

import io
import json

import pandas as pd
from streamlit.testing.v1 import AppTest

import analytics.db as db

HOSTILE = '=HYPERLINK("http://evil.example","click")'


def set_role(monkeypatch, at: AppTest, role: str, email: str = "someone@example.com") -> AppTest:
    """Sign the AppTest in through OIDC as `email` with `role` (e.g. 'marketing', 'manager:Tom Becker')."""
    monkeypatch.setenv("HUDDLE_ROLES", json.dumps({email: role}))
    at.user = {"is_logged_in": True, "email": email}
    return at


def hostile(path, sql: str) -> None:
    """Change the copy's current tables (the ingestion contract) so a name starts like a spreadsheet formula."""
    con = db.connect(path)
    try:
        con.execute(sql, {"name": HOSTILE})
        db.bump_data_version(con)   # as every upload does: stored results of the old version no longer apply
    finally:
        con.close()


def csv_frame(text: str) -> pd.DataFrame:
    return pd.read_csv(io.StringIO(text))
