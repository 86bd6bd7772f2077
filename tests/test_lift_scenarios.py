"""The robust lift estimator on simulated organizations with planted truths: right within its interval, or it says
why it can't be trusted (benchmarks/bench_lift_scenarios.py runs the same checks over many seeds)."""

import functools
from dataclasses import replace

import numpy as np
import pandas as pd
import pytest
import scipy.sparse as sp
import scipy.sparse.csgraph  # noqa: F401 (sp.csgraph)

from analytics.estimators import fixed_effects as fe
from analytics.estimators import lift_world
from analytics.estimators import robust_lift
from analytics.estimators.robust_lift import RobustImputationLift

SEEDS = (0, 1)          # scenario-specific claims; every scenario's general checks run on seed 0 (benchmark: 20)
CONFIDENT = ("moderate", "strong")


@functools.lru_cache(maxsize=None)
def fitted(name, seed):
    """One scenario's world and fit, shared by the tests that read it (each fit takes seconds)."""
    world = lift_world.simulate(name, seed)
    est = RobustImputationLift(n_boot=200, seed=seed, keep_weights=True).fit(
        world["deals"], world["pairs"], world["message_ids"], world["launch_dates"])
    return world, est, est.tidy().set_index("message_id")


@pytest.fixture(scope="module", params=[(name, 0) for name in lift_world.SCENARIOS],
                ids=lambda p: f"{p[0]}-{p[1]}")
def org(request):
    return fitted(*request.param)


def near(value, low, high):
    """Within about three standard errors: the 95 % interval stretched by a quarter of its width on each side (a
    single seed misses the plain interval one time in twenty; the benchmark measures that rate over many seeds)."""
    pad = (high - low) / 4
    return low - pad <= value <= high + pad


def truth(world, est, message_id):
    m = world["message_ids"].index(message_id)
    unit = next(u for u in est.units_ if m in u)
    return lift_world.truth_on(world["effect"], est.covered_[m], unit)


def test_no_estimate_is_confidently_wrong(org):
    world, est, out = org
    for message_id, row in out.iterrows():
        t = truth(world, est, message_id)
        if row.evidence in CONFIDENT:
            assert row.ci_low_pp <= t <= row.ci_high_pp, (message_id, t, row.lift_pp, row.ci_low_pp, row.ci_high_pp)


def test_every_message_gets_a_known_tier_a_method_and_a_diagnostics_list(org):
    _, _, out = org
    assert set(out["evidence"]) <= set(robust_lift.EVIDENCE_TIERS)
    assert all(isinstance(d, list) and all(isinstance(s, str) for s in d) for d in out["diagnostics"])
    assert out["method"].str.startswith("imputation DiD").all()


def test_a_team_trend_pushed_by_managers_is_not_reported_as_a_confident_lift():
    for seed in SEEDS:
        world, est, out = fitted("team_trends", seed)
        row = out.loc["m_null"]
        assert "team" in row.method
        assert row.evidence not in CONFIDENT or row.ci_low_pp <= 0 <= row.ci_high_pp
        assert abs(row.lift_pp) < 6


def test_messages_certified_together_are_one_joint_estimate_that_is_not_separable():
    world, est, out = fitted("bundled", 0)
    for message_id in ("m_pair_a", "m_pair_b"):
        row = out.loc[message_id]
        assert row.evidence == "not separable" and np.isnan(row.lift_pp)
        assert row.together_share > 0.9
        assert any("certified together" in d for d in row.diagnostics)
        assert near(truth(world, est, message_id), row.joint_ci_low_pp, row.joint_ci_high_pp)
    assert out.loc["m_solo", "evidence"] != "not separable"


def test_a_company_wide_message_that_differs_by_segment_does_not_leak_into_the_segment_messages():
    for seed in SEEDS:
        world, est, out = fitted("overlap", seed)
        for message_id in ("m_ent", "m_smb"):
            row = out.loc[message_id]
            assert near(truth(world, est, message_id), row.ci_low_pp, row.ci_high_pp), (seed, message_id)


def truth_of(world, est, message_id, estimand):
    m = world["message_ids"].index(message_id)
    return lift_world.truth_on(world["effect"], est.deal_sets_[m][estimand], [m])


def test_teaching_at_the_kickoff_is_seen_before_the_quiz_and_not_used_as_a_control():
    world, est, out = fitted("kickoff", 0)
    row = out.loc["m_kick"]
    assert near(truth(world, est, "m_kick"), row.ci_low_pp, row.ci_high_pp)
    assert truth_of(world, est, "m_kick", "taught") > 5          # the taught deals carry the effect ...
    assert near(truth_of(world, est, "m_kick", "taught"), row.taught_ci_low_pp, row.taught_ci_high_pp)
    assert row.taught_lift_pp > 2                                  # ... and the estimate sees it
    assert near(truth_of(world, est, "m_kick", "since_launch"), row.launch_ci_low_pp, row.launch_ci_high_pp)
    assert row.launch_deals > row.adjusted_deals


def test_spillover_outside_the_segment_is_estimated_and_kept_out_of_the_controls():
    world, est, out = fitted("spillover", 0)
    row = out.loc["m_ent"]
    assert near(truth(world, est, "m_ent"), row.ci_low_pp, row.ci_high_pp)
    assert row.spillover_deals > 1000 and truth_of(world, est, "m_ent", "spillover") > 3
    assert near(truth_of(world, est, "m_ent", "spillover"), row.spillover_ci_low_pp, row.spillover_ci_high_pp)
    assert row.spillover_lift_pp > 0


def test_a_mandatory_certification_with_a_market_shock_is_not_claimed():
    for seed in SEEDS:
        _, _, out = fitted("mandatory", seed)
        row = out.loc["m_must"]
        assert row.evidence in ("insufficient", "directional")
        assert np.isnan(row.lift_pp) or row.imputable_share < robust_lift.MIN_IMPUTABLE_SHARE


def test_an_adopted_deal_in_a_month_without_control_deals_is_not_imputed():
    world = lift_world.simulate("easy", 0, n_reps=120)
    deals, pairs = world["deals"].drop(columns=["team", "manager"]), world["pairs"].copy()
    month = deals["close_date"].dt.to_period("M")
    last = month.max()
    # every deal of the last month adopted for the first message: that month has no control deal at all
    in_last = deals.loc[month == last, "deal_key"]
    first = pairs["message_id"] == "m_open"
    pairs.loc[first & pairs["deal_key"].isin(in_last), ["is_in_scope", "is_adopted"]] = True
    pairs.loc[first & pairs["deal_key"].isin(in_last), "certified_on"] = pd.Timestamp("2024-01-02")
    est = RobustImputationLift(n_boot=0).fit(deals, pairs, world["message_ids"], world["launch_dates"])
    covered = est.covered_[0]
    assert not np.isin(deals["deal_key"].to_numpy()[covered], in_last.to_numpy()).any()
    assert est.tidy().loc[0, "imputable_share"] < 1


def test_with_one_message_and_no_teams_the_estimate_equals_an_explicit_least_squares_imputation():
    world = lift_world.simulate("easy", 2, n_reps=60, messages=lift_world.SCENARIOS["easy"].messages[:1])
    deals, pairs = world["deals"].drop(columns=["team", "manager"]).assign(amount=np.nan), world["pairs"]
    est = RobustImputationLift(n_boot=0).fit(deals, pairs, world["message_ids"], world["launch_dates"])
    # the same model by hand: fitted on every deal but the adopted ones, deals between launch and a later
    # certification with their own effect per segment
    p = pairs.set_index("deal_key").loc[deals["deal_key"]]
    certified_later = p["certified_on"].notna() & (p["certified_on"] > deals["close_date"].to_numpy()) & p["is_in_scope"]
    adopted, control = p["is_adopted"].to_numpy(), ~p["is_adopted"].to_numpy()
    taught = deals["segment"].where(certified_later.to_numpy(), "none")
    X = pd.concat([pd.get_dummies(deals["rep_id"], dtype=float)]
                  + [pd.get_dummies(f, drop_first=True, dtype=float, prefix=name) for name, f in
                     (("month", deals["close_date"].dt.to_period("M").astype(str)), ("segment", deals["segment"]),
                      ("type", deals["deal_type"]))]
                  + [pd.get_dummies(taught, dtype=float).drop(columns="none")], axis=1).to_numpy()
    y = deals["is_won"].to_numpy(float)
    beta, *_ = np.linalg.lstsq(X[control], y[control], rcond=None)
    residual = y[adopted] - X[adopted] @ beta
    assert est.tidy().loc[0, "imputable_share"] == 1
    np.testing.assert_allclose(est.effects_[0], 100 * residual.mean(), atol=1e-6)


@pytest.mark.parametrize(("name", "source"), [("easy", "m_open"), ("overlap", "m_wide")])
def test_another_messages_effect_learned_from_other_reps_does_not_leak_into_an_estimate(name, source):
    """Outcomes that are one company-wide message's true effect and nothing else (no noise, no baseline): the
    estimator is linear in the outcomes, so every other message's estimate must be exactly zero and this one's
    exactly its truth (in overlap the effect differs by segment)."""
    world = lift_world.simulate(name, 0, n_reps=120)
    ids = world["message_ids"]
    k = ids.index(source)
    alone = np.where(np.arange(len(ids)) == k, world["effect"], 0.0)
    deals = world["deals"].assign(is_won=alone[:, k])
    est = RobustImputationLift(n_boot=0).fit(deals, world["pairs"], ids, world["launch_dates"])
    assert np.isfinite(est.effects_).all()
    for m in range(len(ids)):
        want = lift_world.truth_on(alone, est.covered_[m], [m])
        assert est.effects_[m] == pytest.approx(want, abs=1e-6), ids[m]
        assert (want == 0) == (m != k)


def test_two_messages_told_apart_by_too_few_reps_are_one_joint_estimate_even_under_the_shared_share():
    """60 reps, 80 % certify both in one session: under 90 % of the adopted deals are shared, but the deals adopted
    for just one of the two come from fewer reps than a moderate claim needs, so no separate effect is claimed."""
    messages = lift_world.SCENARIOS["bundled"].messages
    messages = (messages[0], replace(messages[1], with_share=0.8), messages[2])
    world = lift_world.simulate("bundled", 1, messages=messages, n_reps=60)
    pairs = world["pairs"]
    adopted = pairs[pairs["is_adopted"]].merge(world["deals"][["deal_key", "rep_id"]], on="deal_key")
    a, b = (adopted.loc[adopted["message_id"] == m, ["deal_key", "rep_id"]] for m in ("m_pair_a", "m_pair_b"))
    both = a.merge(b, on=["deal_key", "rep_id"])
    apart = pd.concat([a, b]).drop_duplicates(keep=False)
    assert len(both) / (len(a) + len(b) - len(both)) < robust_lift.SEPARABLE_SHARE
    assert len(both) > len(apart) and apart["rep_id"].nunique() < robust_lift.MIN_REPS["moderate"]
    est = RobustImputationLift(n_boot=0).fit(world["deals"], pairs, world["message_ids"], world["launch_dates"])
    out = est.tidy().set_index("message_id")
    assert (out.loc[["m_pair_a", "m_pair_b"], "evidence"] == "not separable").all()
    assert out.loc["m_pair_a", "joint_with"] == ["m_pair_b"] and np.isnan(out.loc["m_pair_a", "lift_pp"])
    assert out.loc["m_solo", "evidence"] != "not separable"


def test_team_by_period_effects_inverted_team_by_team_give_the_pseudo_inverse_estimates():
    """The block-wise generalized inverse (a rep belongs to one team, so team x period effects are block-diagonal)
    must give the same identified coefficients, influence values and rank as one pseudo-inverse of the whole."""
    rng = np.random.default_rng(3)
    n, R, T, P = 3000, 60, 4, 12
    rep = rng.integers(0, R, n)
    team_period = (rep % T) * P + rng.integers(0, P, n)
    X, names = fe.one_hot([team_period, rng.integers(0, 3, n), rng.integers(0, 2, n)], n)
    y = (rng.random(n) < 0.4).astype(float)
    control = rng.random(n) < 0.7
    lead = sum(f == 0 for f, _ in names)
    block, whole = fe.fit_controls(X, y, rep, R, control, lead=lead), fe.fit_controls(X, y, rep, R, control)
    head = sp.csr_matrix(np.abs(block.a[:lead, :lead]) > 0)
    assert sp.csgraph.connected_components(head, directed=False)[0] == T        # one block per team
    np.testing.assert_allclose(block.a @ block.a_inv @ block.a, block.a, atol=1e-8)
    assert np.linalg.matrix_rank(block.a) < len(block.a)                        # rep effects absorb team levels
    contrast = block.a[:, :5]                                                   # identified contrasts
    np.testing.assert_allclose(contrast.T @ block.beta, contrast.T @ whole.beta, atol=1e-9)
    np.testing.assert_allclose((block.scores @ block.a_inv @ contrast), (whole.scores @ whole.a_inv @ contrast),
                               atol=1e-9)
    np.testing.assert_allclose(np.sum(block.a_inv * block.a), np.sum(whole.a_inv * whole.a), atol=1e-6)
    Z, _ = fe.one_hot([np.where(control & (rng.random(n) < 0.1), 1, 0)], n)
    added = fe.add_columns(block, Z)
    full = fe.fit_controls(sp.hstack([X, Z]).tocsr(), y, rep, R, control)
    np.testing.assert_allclose(added.beta[-1], full.beta[-1], atol=1e-9)


def _small_design(seed=5, n=150, R=12, T=2, P=5):
    """A small rep x team-period design with thin cells: where leverage shrinks the fitted residuals."""
    rng = np.random.default_rng(seed)
    rep = np.sort(rng.integers(0, R, n))
    team_period = (rep % T) * P + rng.integers(0, P, n)
    X, names = fe.one_hot([team_period, rng.integers(0, 3, n)], n)
    control = rng.random(n) < 0.6
    return X.tocsr(), rep, R, control, sum(f == 0 for f, _ in names)


def test_the_small_sample_factor_makes_each_reps_squared_influence_unbiased_for_its_share_of_the_variance():
    """CR2-type correction: influence values are linear in the outcomes, so with independent, equal-variance deals
    E[psi_r^2] is the squared norm of psi_r's weights on the outcomes; scaled, it must equal rep r's true share of
    the variance (the squared weights of its deals in the estimate), exactly, for a mean of imputation residuals
    (before centring on the estimate, a 1/R term) and for a contrast of the coefficients."""
    X, rep, R, control, lead = _small_design()
    n = X.shape[0]
    treated = np.flatnonzero(~control)
    g = np.full(len(treated), 1 / len(treated))
    G = np.bincount(rep[treated], weights=g, minlength=R)

    def influence(y):
        fit = fe.fit_controls(X, y, rep, R, control, lead=lead)
        e = fe.imputation_residuals(fit, X[treated], y[treated], rep[treated])
        member = sp.csr_matrix(np.ones((len(treated), 1)))
        psi = fe.mean_influence(fit, X[treated], rep[treated], e, member, R)[2][:, 0]
        return psi, fe.contrast_influence(fit, fit.a[:, :1])[:, 0]      # an identified contrast

    raw = fe.SMALL_SAMPLE
    fe.SMALL_SAMPLE = "none"                                     # the unscaled influence values
    try:
        basis = [influence(np.eye(n)[i]) for i in range(n)]      # column i: outcome i's weight in each psi_r
    finally:
        fe.SMALL_SAMPLE = raw
    fit = fe.fit_controls(X, np.zeros(n), rep, R, control, lead=lead)
    w = fe.deal_weights(fit, X, rep, treated, g, n)
    B_mean = np.column_stack([b[0] for b in basis]) + G[:, None] * w[None, :]    # undo the centring
    B_coef = np.column_stack([b[1] for b in basis])
    true_mean = np.bincount(rep, weights=w ** 2, minlength=R)
    u = fit.a_inv @ (np.asarray(X[treated].T @ g).ravel() - np.asarray(fit.rep_mean_x.T @ G).ravel())
    rep_of = sp.csr_matrix((np.ones(len(treated)), (rep[treated], np.arange(len(treated)))),
                           shape=(R, len(treated)))
    scale = fe.leverage_scale(fit, u[:, None], (X[treated], rep[treated], sp.csr_matrix(g[:, None]), rep_of))
    assert np.max(np.abs((B_mean ** 2).sum(1) / true_mean - 1)) > 0.05       # uncorrected: off for some reps
    np.testing.assert_allclose(scale[:, 0] ** 2 * (B_mean ** 2).sum(1), true_mean, rtol=1e-8)
    uc = fit.a_inv @ fit.a[:, :1]
    wc = np.zeros(n)
    wc[control] = (np.asarray(X[control] @ uc).ravel() - np.asarray(fit.rep_mean_x @ uc).ravel()[rep[control]])
    true_coef = np.bincount(rep, weights=wc ** 2, minlength=R)
    seen = true_coef > 1e-12 * true_coef.max()                               # reps whose deals weigh in it
    assert seen.sum() >= 3 and np.max(np.abs((B_coef ** 2).sum(1)[seen] / true_coef[seen] - 1)) > 0.05
    np.testing.assert_allclose(fe.leverage_scale(fit, uc)[:, 0] ** 2 * (B_coef ** 2).sum(1), true_coef, rtol=1e-8,
                               atol=1e-10 * true_coef.max())


def test_each_deals_exact_weight_reproduces_the_estimate():
    """The estimate is linear in the outcomes: sum(weight x won) over all deals is the reported lift (the
    benchmark's exact standard errors rest on these weights)."""
    world, est, _ = fitted("team_trends", 0)
    y = world["deals"]["is_won"].to_numpy(float)
    for k, unit in enumerate(est.units_):
        assert est.weights_[k] @ y == pytest.approx(est.effects_[unit[0]], abs=1e-8)


def test_each_rep_reads_only_its_own_block_of_the_inverse_and_gets_the_full_quadratic_form():
    """The batched per-row quadratic forms (used when a rep sees few of many columns, as with 50 teams' periods)
    equal the plain sparse-dense product."""
    rng = np.random.default_rng(7)
    v = sp.random(300, 400, density=0.01, random_state=rng, format="csr")
    a = rng.standard_normal((400, 400))
    a = a @ a.T
    np.testing.assert_allclose(fe._row_forms(v, a), np.asarray(v.multiply(v @ a).sum(1)).ravel(), rtol=1e-10)
