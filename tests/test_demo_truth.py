"""The demo company's planted truth, recovered end to end: exports -> real parsers -> database -> lift and report,
and from the call export -> trackers -> usage lift and transfer gap.

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
from analytics.views import field, lift, report

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


@pytest.fixture(scope="module")
def usage(demo_world):
    """Usage lift (pp, interval) and the transfer gap per message on the demo database, by message name."""
    con = db.connect(demo_world["db"], read_only=True)
    try:
        as_of = date.fromisoformat(demo_world["truth"]["end"])
        lifts = field.usage_lift(con, as_of=as_of, n_boot=200, seed=0).set_index("message_name")
        names = lifts.reset_index().set_index("message_id")["message_name"]
        gap = field.gap_by_message(con, as_of=as_of)
        rates = field.calls_share(con, as_of=as_of)
        return {"lift": lifts, "gap": gap.assign(message_name=gap["message_id"].map(names)).set_index("message_name"),
                "calls": rates.assign(message_name=rates["message_id"].map(names)).set_index("message_name")}
    finally:
        con.close()


def test_the_call_export_loads_every_call_linked_to_its_deal_and_its_rep(demo_world):
    con = db.connect(demo_world["db"], read_only=True)
    try:
        n, linked, with_rep, roles = con.execute(
            "SELECT count(*), count(opportunity_id), count(rep_id), "
            "(SELECT list(DISTINCT speaker_role ORDER BY speaker_role) FROM activity_turns) FROM activities").fetchone()
    finally:
        con.close()
    assert n == demo_world["truth"]["files"]["calls.csv"]
    assert linked == n and with_rep == n and roles == ["prospect", "rep"]


def test_every_planted_usage_effect_is_inside_or_within_three_points_of_the_usage_lift_interval(usage, demo_world):
    planted = demo_world["truth"]["usage_effects_pp"]
    lifts = usage["lift"]
    assert set(planted) == set(lifts.index)
    for name, effect in planted.items():
        low, high = lifts.loc[name, "usage_ci_low_pp"], lifts.loc[name, "usage_ci_high_pp"]
        assert np.isfinite(low) and np.isfinite(high), name
        assert low - NEAR_PP <= effect <= high + NEAR_PP, (name, effect, low, high)
    hurts = min(planted, key=planted.get)              # the message whose use loses deals: inside, and below zero
    assert planted[hurts] < 0
    assert lifts.loc[hurts, "usage_ci_low_pp"] <= planted[hurts] <= lifts.loc[hurts, "usage_ci_high_pp"] < 0
    width = lifts["usage_ci_high_pp"] - lifts["usage_ci_low_pp"]
    assert width.idxmax() == demo_world["truth"]["transfer_gap_message"]      # rarely said: the least certain


def test_the_transfer_gap_message_has_by_far_the_largest_gap_and_the_lowest_use(usage, demo_world):
    name = demo_world["truth"]["transfer_gap_message"]
    gap, calls = usage["gap"], usage["calls"]
    others = gap.drop(index=name)
    assert gap.loc[name, "share_not_using"] > 2 * others["share_not_using"].max(), gap
    assert gap.loc[name, "ci_low"] > others["ci_high"].max()
    assert calls.loc[name, "used_in_calls_share"] < calls.drop(index=name)["used_in_calls_share"].min() / 3, calls
