"""Shared fixtures: fresh databases, file writers and the demo world (built once per test session)."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from analytics import db

ROOT = Path(__file__).resolve().parent.parent
MAVEN = ROOT.parent / "shared" / "data" / "maven_crm"

TABLES = ("uploads", "rejected_rows", "opportunity_versions", "quiz_attempt_versions", "feedback_versions",
          "message_versions", "rep_versions", "reps", "rep_aliases", "messages", "message_aliases",
          "opportunities", "quiz_attempts", "feedback", "data_version")


@pytest.fixture
def fresh_db(tmp_path):
    """A new, migrated database file."""
    con = db.connect(tmp_path / "huddle.duckdb")
    yield con
    con.close()


@pytest.fixture
def write(tmp_path):
    """Write a test file: write('name.csv', text, encoding=...) -> Path."""
    def _write(name: str, text: str | bytes, encoding: str = "utf-8") -> Path:
        p = tmp_path / name
        p.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
        return p
    return _write


def snapshot(con) -> dict:
    """A fingerprint of every table's content, to prove that nothing changed."""
    out = {}
    for t in TABLES:
        rows = con.execute(f"SELECT * FROM {t} ORDER BY ALL").fetchall()
        out[t] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return out


@pytest.fixture(scope="session")
def demo_world(tmp_path_factory):
    """The demo company's exports and database, generated and ingested through the real parsers once."""
    from analytics.demo_load import build_demo
    out = tmp_path_factory.mktemp("demo")
    summary = build_demo(out / "csv", out / "demo.duckdb")
    return {"dir": out / "csv", "db": out / "demo.duckdb", "truth": summary["truth"], "summary": summary}


@pytest.fixture
def demo_con(demo_world):
    """A read-only connection to the session's demo database."""
    con = db.connect(demo_world["db"], read_only=True)
    yield con
    con.close()
