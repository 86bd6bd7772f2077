"""Simulated sales organizations that behave the way real ones do, with the true effect of every message on every deal.

Each scenario is a set of parameters for one generator: reps with ability in teams with their own trends, messages
with launch dates, target segments, certification behaviour (who certifies, how soon, together with which other
message) and a true effect law (by segment, from the kickoff or from certification, spilling outside the segment).
`simulate(name, seed)` returns closed deals and deal x message pairs shaped like sql/queries/closed_deals.sql and
message_deals.sql (so the lift estimators read them as they read a database) plus `effect`: the true change in win
probability of each deal from each message (deals x messages), so the truth behind any estimate can be computed.
Win probability: p = clip(base by segment + ability + company trend + team trend + market shock + deal type +
amount, 0.12, 0.80) + the effects of the messages that apply to the deal (never clipped, so the truth is exact).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np
import pandas as pd

START = pd.Timestamp("2024-01-01")
SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
SEGMENT_SHARE = (0.45, 0.33, 0.22)
SEGMENT_BASE = (0.44, 0.38, 0.30)


@dataclass(frozen=True)
class Message:
    """One message: launch (months after the start), target, who certifies and how its effect works."""

    message_id: str
    launch_month: float
    effect_pp: float | dict = 0.0          # on adopted deals; a dict gives it by segment
    target_segment: str | None = None
    certify_logit: float = 1.0             # P(certify) = sigmoid(certify_logit + 8 * ability + push * team trend)
    delay_days: float = 40.0               # mean days from launch to the pass (shorter for able reps)
    with_message: str | None = None        # certified in the same session as this message ...
    with_share: float = 0.0                # ... by this share of the reps certifying either
    from_kickoff: bool = False             # the effect starts at launch for the reps who certify later
    spill_pp: float = 0.0                  # effect on the certified reps' deals outside the target segment
    mandatory_days: float | None = None    # every rep certifies within this many days of launch


@dataclass(frozen=True)
class Org:
    """A simulated organization's parameters."""

    messages: tuple[Message, ...]
    n_reps: int = 360
    n_teams: int = 6
    months: int = 24
    deals_per_rep_month: float = 3.5
    ability_sd: float = 0.08
    company_trend_pp: float = 4.0          # over the whole window
    team_trend_sd_pp: float = 0.0          # sd of each team's own trend over the window
    push: float = 0.0                      # managers of improving teams push certification (logit and speed)
    shock_pp: float = 0.0                  # market shock in shock_months (months after the start)
    shock_months: tuple[int, ...] = ()
    notes: str = ""


SCENARIOS: dict[str, Org] = {
    "easy": Org((Message("m_open", 6, 6.0), Message("m_ent", 10, 4.0, "Enterprise"),
                 Message("m_roi", 15, -4.0)),
                notes="rep ability is the only confounder: able reps certify sooner and more often"),
    "team_trends": Org((Message("m_null", 8, 0.0), Message("m_pos", 12, 5.0)),
                       n_teams=10, team_trend_sd_pp=10.0, push=2.5,
                       notes="teams trend apart; managers of improving teams push their reps to certify sooner"),
    "bundled": Org((Message("m_pair_a", 8, 6.0), Message("m_pair_b", 8, 0.0, with_message="m_pair_a",
                                                         with_share=0.97),
                    Message("m_solo", 14, 3.0)),
                   notes="two messages passed in the same session by 97 % of reps"),
    "overlap": Org((Message("m_wide", 6, {"SMB": 0.0, "Mid-Market": 3.0, "Enterprise": 10.0}),
                    Message("m_ent", 9, 4.0, "Enterprise"), Message("m_smb", 12, -3.0, "SMB")),
                   notes="a company-wide message whose effect differs by segment overlaps segment messages"),
    "kickoff": Org((Message("m_kick", 8, 7.0, delay_days=45.0, from_kickoff=True, certify_logit=0.3),
                    Message("m_plain", 14, 3.0)),
                   notes="taught at the kickoff, certified weeks later: the effect starts at launch"),
    "spillover": Org((Message("m_ent", 8, 6.0, "Enterprise", spill_pp=4.0), Message("m_open", 13, 3.0)),
                     notes="an Enterprise message also lifts the same reps' other deals"),
    "mandatory": Org((Message("m_opt", 5, 4.0), Message("m_must", 13, 5.0, mandatory_days=45.0)),
                     shock_pp=-8.0, shock_months=(14, 15, 16),
                     notes="company-wide mandatory certification, then a market shock in months with no controls"),
}


def simulate(name: str, seed: int = 0, **overrides) -> dict:
    """One organization of the named scenario: deals, pairs, message_ids, launch_dates, effect (deals x messages)."""
    org = replace(SCENARIOS[name], **overrides) if overrides else SCENARIOS[name]
    rng = np.random.default_rng(seed)
    R, T = org.n_reps, org.n_teams
    ability = rng.normal(0, org.ability_sd, R)
    team = rng.permutation(np.arange(R) % T)
    slope = rng.normal(0, org.team_trend_sd_pp / 100, T)
    slope -= slope.mean()
    z_slope = slope / (slope.std() or 1.0)

    days = int(org.months * 30.44)
    n = rng.poisson(org.deals_per_rep_month * org.months * R)
    r = rng.integers(0, R, n)
    day = np.sort(rng.integers(0, days, n))
    seg = rng.choice(3, n, p=SEGMENT_SHARE)
    renewal = rng.random(n) < 0.3
    amount = np.round(np.array([9e3, 32e3, 140e3])[seg] * np.exp(0.55 * rng.standard_normal(n)), -1)
    frac = day / days - 0.5
    month = np.floor(day / 30.44).astype(int)
    shock = np.where(np.isin(month, org.shock_months), org.shock_pp / 100, 0.0)
    p0 = (np.array(SEGMENT_BASE)[seg] + ability[r] + org.company_trend_pp / 100 * frac + slope[team[r]] * frac
          + shock + 0.06 * renewal - 0.02 * np.log(amount / np.array([9e3, 32e3, 140e3])[seg]) / 0.55)
    p0 = np.clip(p0, 0.12, 0.80)

    M = len(org.messages)
    cert = _certification(rng, org, ability, z_slope[team], days)
    effect = np.zeros((n, M))
    pair_frames = []
    for k, m in enumerate(org.messages):
        launch = m.launch_month * 30.44
        in_segment = np.ones(n, bool) if m.target_segment is None else seg == SEGMENTS.index(m.target_segment)
        in_scope = in_segment & (day >= launch)
        c = cert[r, k]
        adopted = in_scope & (c <= day)
        size = (np.array([m.effect_pp.get(s, 0.0) for s in SEGMENTS])[seg] if isinstance(m.effect_pp, dict)
                else np.full(n, float(m.effect_pp)))
        carries = in_scope & np.isfinite(c) if m.from_kickoff else adopted
        effect[:, k] = np.where(carries, size / 100, 0.0)
        effect[:, k] += np.where(~in_segment & (c <= day), m.spill_pp / 100, 0.0)
        rows = np.flatnonzero(in_segment)
        certified_on = np.where(np.isfinite(c[rows]), c[rows], np.nan)
        pair_frames.append(pd.DataFrame({
            "deal_key": rows, "message_id": m.message_id, "is_in_scope": in_scope[rows],
            "is_adopted": adopted[rows], "is_tagged": False,
            "certified_on": START + pd.to_timedelta(certified_on, unit="D")}))
    p = p0 + effect.sum(1)
    won = rng.random(n) < p
    deals = pd.DataFrame({
        "deal_key": np.arange(n), "rep_id": np.char.add("r", r.astype(str)),
        "team": np.char.add("team", team[r].astype(str)), "manager": np.char.add("mgr", team[r].astype(str)),
        "segment": np.array(SEGMENTS)[seg], "amount": amount,
        "deal_type": np.where(renewal, "Existing Business", "New Business"),
        "close_date": START + pd.to_timedelta(day, unit="D"), "is_won": won})
    ids = [m.message_id for m in org.messages]
    return {"deals": deals, "pairs": pd.concat(pair_frames, ignore_index=True), "message_ids": ids,
            "launch_dates": {m.message_id: START + pd.Timedelta(days=m.launch_month * 30.44) for m in org.messages},
            "effect": effect, "p": p, "org": org}


def _certification(rng, org: Org, ability: np.ndarray, push: np.ndarray, days: int) -> np.ndarray:
    """Day of each rep's pass per message (inf: never within the data)."""
    R, M = len(ability), len(org.messages)
    z = ability / org.ability_sd if org.ability_sd else np.zeros(R)
    cert = np.full((R, M), np.inf)
    ids = [m.message_id for m in org.messages]
    for k, m in enumerate(org.messages):
        launch = m.launch_month * 30.44
        if m.mandatory_days is not None:
            cert[:, k] = launch + rng.uniform(0, m.mandatory_days, R)
            continue
        logit = m.certify_logit + 0.65 * z + org.push * push
        certifies = rng.random(R) < 1 / (1 + np.exp(-logit))
        delay = rng.exponential(m.delay_days * np.exp(-0.3 * z - 0.35 * org.push * push))
        if m.from_kickoff:
            delay = 21 + rng.uniform(0, 2 * m.delay_days - 42, R)      # the quiz comes 3 weeks or more later
        when = np.where(certifies, np.floor(launch + delay) + 0.5, np.inf)
        if m.with_message is not None:
            j = ids.index(m.with_message)
            same = rng.random(R) < m.with_share
            when = np.where(same, cert[:, j], when)
        cert[:, k] = np.where(when < days, when, np.inf)
    return np.floor(cert)


def truth_on(effect: np.ndarray, covered: np.ndarray, members) -> float:
    """True effect (pp) on the deals behind an estimate: the mean of the members' summed effects on those deals."""
    if covered is None or len(covered) == 0:
        return np.nan
    return float(100 * effect[np.asarray(covered)][:, list(members)].sum(1).mean())
