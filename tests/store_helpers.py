"""What the tests on either store share: a fresh store of each kind, two CRM exports, reading and the command line."""

from __future__ import annotations

import subprocess
import sys
from datetime import date

import pytest
from conftest import ROOT

from analytics import refresh_worker, stores

V1 = ("opportunity_id,sales_agent,deal_stage,close_date,close_value\n"
      "A,Ann Lee,Engaging,,\nB,Ann Lee,Won,2026-01-05,100\nC,Bo Ek,Lost,2026-01-06,0\n")
V2 = ("opportunity_id,sales_agent,deal_stage,close_date,close_value\n"
      "A,Ann Lee,Won,2026-02-01,250\nB,Ann Lee,Won,2026-01-05,100\nD,Bo Ek,Engaging,,\n")
TODAY = date(2026, 6, 30)


@pytest.fixture(params=["file", "lake"])
def store(request, tmp_path):
    """A fresh, empty store of either kind."""
    if request.param == "file":
        yield stores.resolve("", tmp_path / "huddle.duckdb")
        refresh_worker.WORKER.wait(120)
        return
    cfg = stores.resolve(f"ducklake:postgres:{request.getfixturevalue('pg_database')}", data_path=tmp_path / "lake")
    yield cfg
    refresh_worker.WORKER.wait(120)
    stores.forget(cfg)


def rows(cfg, sql: str) -> list:
    with stores.reading(cfg) as con:
        return con.execute(sql).fetchall()


def cli(cfg, *args, env_extra=None, timeout=300):
    env = {"PATH": "/usr/bin:/bin", "PYTHONPATH": str(ROOT), "HUDDLE_REFRESH": "skip"}
    if cfg.is_lake:
        env.update(HUDDLE_STORE=cfg.spec(), HUDDLE_DATA_PATH=cfg.data_path)
    else:
        env.update(HUDDLE_DB=str(cfg.path))
    env.update(env_extra or {})
    return subprocess.run([sys.executable, "-m", "analytics", *args], env=env, cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout)
