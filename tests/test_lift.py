"""Adjusted win-rate lift: planted effects, a world without effects, tiny data and a Maven CRM placebo."""

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import analytics.db as db
from analytics import lift

MAVEN = Path(__file__).resolve().parents[1].parent / "shared" / "data" / "maven_crm"
START = date(2024, 1, 1)
PLANTED = {"m_open": 0.08, "m_ent": -0.06, "m_flat": 0.0}


def insert(con, table, frame):
    """Append a DataFrame to one of the current tables, matching columns by name."""
    con.register("incoming", frame)
    con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM incoming")
    con.unregister("incoming")


def planted_world(con, effects=PLANTED, seed=0, n_reps=200, deals_per_rep=80, months=24):
    """Reps with ability; able reps certify sooner and more often; a time trend; known effects per message."""
    rng = np.random.default_rng(seed)
    ability = rng.normal(0, 0.12, n_reps)
    rep_ids = np.array([f"r{i:04d}" for i in range(n_reps)])
    insert(con, "reps", pd.DataFrame({
        "rep_id": rep_ids, "rep_name": [f"Rep {i}" for i in range(n_reps)],
        "team": [f"team{i % 4}" for i in range(n_reps)], "region": [("east", "west")[i % 2] for i in range(n_reps)],
        "manager": "Boss", "in_roster": True}))
    messages = pd.DataFrame({
        "message_id": ["m_open", "m_ent", "m_flat"], "message_name": ["Open", "Enterprise", "Flat"],
        "launch_date": [START + timedelta(days=d) for d in (180, 270, 360)],
        "target_segment": [None, "Enterprise", None], "in_catalog": True})
    insert(con, "messages", messages)

    n = n_reps * deals_per_rep
    r = np.repeat(np.arange(n_reps), deals_per_rep)
    day = rng.integers(0, months * 30, n)
    close = pd.to_datetime(START) + pd.to_timedelta(day, unit="D")
    seg = rng.choice(["SMB", "Mid-Market", "Enterprise"], n, p=[0.45, 0.3, 0.25])
    deal_type = rng.choice(["new", "renewal"], n, p=[0.7, 0.3])
    amount = np.round(rng.lognormal(np.select([seg == "SMB", seg == "Mid-Market"], [8.5, 9.5], 10.5), 0.6), 2)
    p = (0.40 + ability[r] + np.select([seg == "Mid-Market", seg == "Enterprise"], [-0.05, -0.10], 0.0)
         + np.where(deal_type == "renewal", 0.15, 0.0) + 0.004 * day / 30 - 0.02 * (np.log(amount) - 9.5))
    attempts = []
    for k, m in enumerate(messages.itertuples()):
        certifies = rng.random(n_reps) < 1 / (1 + np.exp(-(0.5 + 10 * ability)))
        certified_at = pd.Timestamp(m.launch_date) + pd.to_timedelta(
            rng.exponential(90 * np.exp(-8 * ability)).astype(int), unit="D") + pd.Timedelta(hours=10)
        for i in np.flatnonzero(certifies):
            attempts.append((f"a{k}-{i}-0", rep_ids[i], m.message_id, certified_at[i] - pd.Timedelta(days=3), 0.5, False))
            attempts.append((f"a{k}-{i}-1", rep_ids[i], m.message_id, certified_at[i], 0.9, True))
        in_scope = (close >= pd.Timestamp(m.launch_date)) & ((seg == m.target_segment) if pd.notna(m.target_segment) else True)
        adopted = in_scope & certifies[r] & (certified_at.normalize()[r] <= close)
        p = p + effects[m.message_id] * adopted
    won = rng.random(n) < np.clip(p, 0.02, 0.98)
    insert(con, "opportunities", pd.DataFrame({
        "opportunity_id": [f"o{i:07d}" for i in range(n)], "rep_id": rep_ids[r], "owner_name": rep_ids[r],
        "outcome": np.where(won, "won", "lost"), "is_closed": True, "is_won": won, "amount": amount,
        "close_date": close.date, "segment": seg, "deal_type": deal_type}))
    insert(con, "quiz_attempts", pd.DataFrame(
        attempts, columns=["attempt_id", "rep_id", "message_id", "attempted_at", "score", "passed"]))
    return con
