"""The demo company's planted truth, recovered end to end: exports -> real parsers -> database -> lift and report.

(The retention model beating both baselines on the demo world is tested in tests/test_retention.py.)
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from datetime import date

import numpy as np
import pytest
from conftest import ROOT

from analytics import db
from analytics.metrics.evidence import EVIDENCE_TIERS
from analytics.views import lift, report

NEAR_PP = 3.0


@pytest.fixture(scope="module")
def lifts(demo_world):
    """Adjusted and naive lift per message on the demo database, up to the demo's last day, by message name."""
    con = db.connect(demo_world["db"], read_only=True)
    try:
        as_of = date.fromisoformat(demo_world["truth"]["end"])
        return lift.message_lift(con, as_of=as_of, n_boot=400, seed=0).set_index("message_name")
    finally:
        con.close()


@pytest.fixture(scope="module")
def truth(demo_world):
    return demo_world["truth"]["effects_pp"]


def test_every_planted_effect_is_inside_or_within_three_points_of_the_adjusted_interval(lifts, truth):
    assert set(truth) == set(lifts.index)
    for name, effect in truth.items():
        low, high = lifts.loc[name, "ci_low_pp"], lifts.loc[name, "ci_high_pp"]
        assert np.isfinite(low) and np.isfinite(high), name
        assert low - NEAR_PP <= effect <= high + NEAR_PP, (name, effect, low, high)


def test_the_adjusted_estimate_is_much_closer_to_the_truth_than_the_naive_one(lifts, truth):
    names = list(truth)
    planted = np.array([truth[n] for n in names])
    adjusted = np.abs(lifts.loc[names, "adjusted_lift_pp"].to_numpy() - planted).mean()
    naive = np.abs(lifts.loc[names, "naive_lift_pp"].to_numpy() - planted).mean()
    assert adjusted < naive / 2, (adjusted, naive)


def test_the_message_that_hurts_gets_a_negative_adjusted_estimate(lifts, demo_world):
    negative = demo_world["truth"]["negative_message"]
    assert demo_world["truth"]["effects_pp"][negative] < 0
    assert lifts.loc[negative, "adjusted_lift_pp"] < 0


def test_the_report_command_prints_json_with_the_documented_keys(demo_world, tmp_path):
    target = tmp_path / "demo.duckdb"
    shutil.copy(demo_world["db"], target)
    out = subprocess.run([sys.executable, "-m", "analytics", "report", "--db", str(target), "--json",
                          "--as-of", demo_world["truth"]["end"]],
                         cwd=ROOT, capture_output=True, text=True, check=True, timeout=300).stdout
    got = json.loads(out)
    assert list(got) == ["as_of", "data", "messages"]
    assert got["as_of"] == demo_world["truth"]["end"]
    assert list(got["data"]) == list(report.DATA_KEYS)
    assert [m["message"] for m in got["messages"]] == list(demo_world["truth"]["effects_pp"])
    for m in got["messages"]:
        assert list(m) == list(report.MESSAGE_KEYS)
        assert m["evidence"] in EVIDENCE_TIERS
        assert m["ci_low_pp"] <= m["adjusted_lift_pp"] <= m["ci_high_pp"]
