"""Drawing the demo company in memory (vectorized, one seeded generator), latent truths included."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

import numpy as np
import pandas as pd

from ..settings import PASS_MARK
from .calls import draw_calls, draw_contacts
from .names import (
    ACCOUNTS_PER_REP, ACCOUNT_CORES, ACCOUNT_HEADS, ACCOUNT_TAILS, EMAIL_DOMAIN, FEATURED_REPS, FIRST_NAMES,
    LAST_NAMES, NOTE_TEMPLATES)
from .truth import (
    AMOUNT_SIGMA, CALLS, CERTIFICATION, DEALS_PER_REP_DAY, DEAL_TYPES, DEFAULT_END, DEFAULT_START, DISLIKED_MESSAGE,
    DISLIKED_THEMES, EXISTING_SHARE, FEEDBACK_PER_MONTH, FORGETTING, LEAD_SOURCES, MANAGERS, MESSAGES,
    NEGATIVE_MESSAGE, OPEN_STAGES_SF, OUTCOMES, OUTCOME_BY_RATING, PRODUCTS, QUIET_FACTOR, QUIET_TEAM, RATING_MEAN,
    RATING_SD, SEGMENTS, SEGMENT_MEDIAN_AMOUNT, SEGMENT_SHARE, TEAMS, TEAM_REGION, TRANSFER_GAP_MESSAGE, WIN_MODEL,
    expected_score, message_schedule)


@dataclass
class World:
    """The generated company as DataFrames (latent truths included) plus the planted-truth summary."""

    reps: pd.DataFrame
    messages: pd.DataFrame
    deals: pd.DataFrame
    attempts: pd.DataFrame
    feedback: pd.DataFrame
    certified_day: np.ndarray     # (n_reps, n_messages) day offset of the first pass; NaN if none by the end
    accounts: np.ndarray
    truth: dict
    calls: pd.DataFrame | None = None    # one row per call: deal, rep, minute, transcript, said_i (rep said message i)
    contacts: np.ndarray | None = None   # (n_accounts, 2) prospect names per account


def build_world(seed: int = 7, n_reps: int = 150, start: date = DEFAULT_START,
                end: date = DEFAULT_END) -> World:
    """Draw the whole demo company in memory, vectorized, from one seeded generator."""
    if n_reps < 1:
        raise ValueError("n_reps must be at least 1")
    span = (end - start).days
    if span < 200:
        raise ValueError("the demo window must span at least 200 days")
    rng = np.random.default_rng(seed)
    schedule = message_schedule(start, end)
    msgs = pd.DataFrame(schedule)
    launch = np.array([(m["launch_date"] - start).days for m in schedule])
    reps = _reps(rng, n_reps, span)
    accounts = _accounts(rng, n_reps)
    attempts, certified = _quiz_attempts(rng, reps, msgs, launch, span)
    deals = _deals(rng, reps, msgs, launch, certified, span, len(accounts))
    feedback = _feedback(rng, reps, msgs, certified, span, accounts)
    # Calls draw from their own generator, so the rest of the company is the same with or without them.
    call_rng = np.random.default_rng(seed + 3)
    contacts = draw_contacts(call_rng, reps["name"], len(accounts))
    calls = draw_calls(call_rng, reps, msgs, deals, attempts, launch, span, accounts, contacts)
    usage = _outcomes(deals, msgs, calls)
    truth = {
        "seed": seed, "n_reps": n_reps, "start": start.isoformat(), "end": end.isoformat(),
        "effects_pp": {m["name"]: m["effect_pp"] for m in schedule},
        "usage_effects_pp": {m["name"]: m["usage_effect_pp"] for m in schedule},
        "usage": usage, "transfer_gap_message": TRANSFER_GAP_MESSAGE, "calls": CALLS,
        "negative_message": NEGATIVE_MESSAGE,
        "disliked_message": DISLIKED_MESSAGE, "disliked_themes": list(DISLIKED_THEMES),
        "quiet_team": QUIET_TEAM,
        "forgetting": FORGETTING, "win_model": WIN_MODEL, "certification": CERTIFICATION,
        "messages": [{**m, "launch_date": m["launch_date"].isoformat(),
                      "target_date": m["target_date"].isoformat()} for m in schedule],
        "n_certified": {m: int(np.sum(~np.isnan(certified[:, i]))) for i, m in enumerate(msgs["name"])},
        "open_share": round(float(deals["is_open"].mean()), 4),
        "rep_ability": dict(zip(reps["email"], np.round(reps["ability"], 4).tolist())),
    }
    return World(reps, msgs, deals, attempts, feedback, certified, accounts, truth, calls, contacts)


# ---------------------------------------------------------------- drawing the world

def _fold(s: str) -> str:
    """ASCII e-mail part of a name: accents, apostrophes and spaces dropped, lower case."""
    ascii_ = unicodedata.normalize("NFKD", s).encode("ascii", "ignore").decode()
    return "".join(ch for ch in ascii_.lower() if ch.isalnum() or ch == ".")


def _reps(rng: np.random.Generator, n: int, span: int) -> pd.DataFrame:
    n_first, n_last = len(FIRST_NAMES), len(LAST_NAMES)
    featured = [FIRST_NAMES.index(f) * n_last + LAST_NAMES.index(l) for f, l in FEATURED_REPS]
    plain = np.setdiff1d(np.arange(n_first * n_last), featured)
    n_feat = min(n, len(featured))
    rest = n - n_feat
    if rest <= len(plain):
        combos = np.concatenate([featured[:n_feat], rng.choice(plain, rest, replace=False)])
        middle = np.zeros(n, dtype=int)
    else:
        extra = rest - len(plain)
        if extra > n_first * n_last * 26:
            raise ValueError("too many reps for the name pool")
        coded = rng.choice(n_first * n_last * 26, extra, replace=False)
        combos = np.concatenate([featured, rng.permutation(plain), coded // 26])
        middle = np.concatenate([np.zeros(n - extra, dtype=int), coded % 26 + 1])
    first = [FIRST_NAMES[c // n_last] for c in combos]
    last = [LAST_NAMES[c % n_last] for c in combos]
    first = [f if m == 0 else f"{f} {chr(64 + m)}." for f, m in zip(first, middle)]
    names = [f"{f} {l}" for f, l in zip(first, last)]
    emails = pd.Series([f"{_fold(f)}.{_fold(l)}@{EMAIL_DOMAIN}" for f, l in zip(first, last)])
    dup = emails.groupby(emails).cumcount()
    local = emails.str.slice(0, -len(EMAIL_DOMAIN) - 1)
    emails = emails.where(dup == 0, local + dup.astype(str) + "@" + EMAIL_DOMAIN)
    team = rng.permutation(np.arange(n) % len(TEAMS))
    mid_window = rng.random(n) < 0.12
    hire = np.where(mid_window, rng.integers(0, int(span * 0.6), n), -rng.integers(60, 2600, n))
    return pd.DataFrame({
        "name": names, "first": first, "last": last, "email": emails,
        "team": np.array(TEAMS)[team], "region": np.array(TEAM_REGION)[team],
        "manager": np.array(MANAGERS)[team], "hire_day": hire,
        "ability": rng.standard_normal(n), "activity": rng.lognormal(0.0, 0.25, n),
        "feedback_propensity": rng.lognormal(0.0, 0.5, n) * np.where(team == TEAMS.index(QUIET_TEAM),
                                                                     QUIET_FACTOR, 1.0),
    })


def _accounts(rng: np.random.Generator, n_reps: int) -> np.ndarray:
    """Account names, none equal to another once case, spaces and punctuation are ignored ("Acme Inc." and
    "Acme, Inc." would be one company to anyone matching names, e.g. a call recorder's linked opportunity)."""
    n_pool = len(ACCOUNT_HEADS) * len(ACCOUNT_CORES) * len(ACCOUNT_TAILS)
    codes = rng.permutation(n_pool)
    n_core, n_tail = len(ACCOUNT_CORES), len(ACCOUNT_TAILS)
    names = pd.Series([f"{ACCOUNT_HEADS[c // (n_core * n_tail)]} {ACCOUNT_CORES[c // n_tail % n_core]}"
                       f"{ACCOUNT_TAILS[c % n_tail]}" for c in codes], dtype=object)
    distinct = names[~names.str.lower().str.replace(r"[\W_]+", "", regex=True).duplicated()]
    return distinct.to_numpy()[:n_reps * ACCOUNTS_PER_REP]


def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def _quiz_attempts(rng, reps, msgs, launch, span):
    """Certification attempts then practice attempts under the forgetting law; returns attempts, cert day."""
    c, f = CERTIFICATION, FORGETTING
    n, n_msg, k_cert = len(reps), len(msgs), c["max_attempts"]
    rep = np.repeat(np.arange(n), n_msg)
    msg = np.tile(np.arange(n_msg), n)
    ability = reps["ability"].to_numpy()[rep]
    difficulty = msgs["difficulty"].to_numpy()[msg]
    eligible = np.maximum(launch[msg], reps["hire_day"].to_numpy()[rep] + 14)
    engaged = rng.random(len(rep)) >= _sigmoid(c["never_engage_logit"][0] + c["never_engage_logit"][1] * ability)
    median = c["median_delay_days"] * np.exp(c["delay_ability"] * ability) * difficulty
    first_day = eligible + np.floor(rng.lognormal(np.log(median), c["delay_sigma"]))
    days = first_day[:, None] + np.concatenate(
        [np.zeros((len(rep), 1)), np.cumsum(rng.integers(2, 11, (len(rep), k_cert - 1)), axis=1)], axis=1)
    minutes = days * 1440 + rng.integers(8 * 60, 18 * 60, days.shape)
    mean = (c["score_mean"] + c["score_ability"] * ability + c["score_difficulty"] * (difficulty - 1))[:, None] \
        + c["score_per_retry"] * np.arange(k_cert)
    score = np.round(np.clip(mean + rng.normal(0, c["score_sd"], days.shape), 0, 1), 3)
    passed = score >= PASS_MARK
    first_pass = np.where(passed.any(axis=1), passed.argmax(axis=1), k_cert)
    keep = engaged[:, None] & (np.arange(k_cert) <= first_pass[:, None]) & (days <= span)
    has_cert = engaged & (first_pass < k_cert)
    cert_at = np.take_along_axis(minutes, np.minimum(first_pass, k_cert - 1)[:, None], axis=1)[:, 0]
    has_cert &= cert_at < (span + 1) * 1440
    cert_rows = pd.DataFrame({
        "rep": np.repeat(rep, k_cert)[keep.ravel()], "msg": np.repeat(msg, k_cert)[keep.ravel()],
        "kind": "Certification", "at_minute": minutes[keep].astype(np.int64), "score": score[keep],
        "gap_days": np.nan, "n_successes": -1,
    })

    # Practice: gaps of days to months; a rep keeps practising with probability practice_continue each time.
    idx = np.flatnonzero(has_cert)
    p_rep, p_msg = rep[idx], msg[idx]
    p_ab, p_diff = ability[idx], difficulty[idx]
    k_prac = 40
    gaps = np.maximum(1, np.round(rng.lognormal(np.log(f["practice_gap_median_days"]), f["practice_gap_sigma"],
                                                 (len(idx), k_prac))))
    day0 = cert_at[idx] // 1440
    p_days = day0[:, None] + np.cumsum(gaps, axis=1)
    p_minutes = (p_days * 1440 + rng.integers(7 * 60, 21 * 60, p_days.shape)).astype(np.int64)
    alive = np.cumprod(rng.random(p_days.shape) < f["practice_continue"], axis=1).astype(bool)
    valid = alive & (p_days <= span)
    noise = rng.normal(0, f["noise_sd"], p_days.shape)
    p_score = np.full(p_days.shape, np.nan)
    p_gap = np.full(p_days.shape, np.nan)
    p_nsucc = np.zeros(p_days.shape, dtype=int)
    last = cert_at[idx].astype(np.int64)
    n_succ = np.zeros(len(idx), dtype=int)
    for k in range(k_prac):           # sequential in attempt number, vectorized over rep x message
        gap = (p_minutes[:, k] - last) / 1440.0
        s = np.round(np.clip(expected_score(gap, n_succ, p_ab, p_diff) + noise[:, k], 0, 1), 3)
        p_score[:, k], p_gap[:, k], p_nsucc[:, k] = s, gap, n_succ
        n_succ = n_succ + (valid[:, k] & (s >= PASS_MARK))
        last = np.where(valid[:, k], p_minutes[:, k], last)
    practice_rows = pd.DataFrame({
        "rep": np.repeat(p_rep, k_prac)[valid.ravel()], "msg": np.repeat(p_msg, k_prac)[valid.ravel()],
        "kind": "Practice", "at_minute": p_minutes[valid], "score": p_score[valid],
        "gap_days": p_gap[valid], "n_successes": p_nsucc[valid],
    })

    # A few submitted-but-ungraded practice attempts, outside the forgetting law.
    n_graded = len(cert_rows) + len(practice_rows)
    n_ung = int(rng.binomial(n_graded, f["ungraded_share"])) if len(idx) else 0
    pick = rng.integers(0, max(len(idx), 1), n_ung)
    start_min = cert_at[idx][pick] + 1440 if n_ung else np.zeros(0, dtype=np.int64)
    end_min = (span + 1) * 1440
    ung_at = start_min + np.floor(rng.random(n_ung) * np.maximum(end_min - start_min, 1)).astype(np.int64)
    ung_rows = pd.DataFrame({
        "rep": p_rep[pick], "msg": p_msg[pick], "kind": "Practice", "at_minute": ung_at,
        "score": np.nan, "gap_days": np.nan, "n_successes": -1,
    })
    ung_rows = ung_rows[ung_rows["at_minute"] < end_min]
    attempts = pd.concat([cert_rows, practice_rows, ung_rows], ignore_index=True)
    attempts = attempts.sort_values(["at_minute", "rep", "msg"], kind="stable", ignore_index=True)
    attempts["duration_min"] = rng.integers(3, 26, len(attempts))
    certified = np.full(n * n_msg, np.nan)
    certified[has_cert] = cert_at[has_cert] // 1440
    return attempts, certified.reshape(n, n_msg)


def _deals(rng, reps, msgs, launch, certified, span, n_accounts):
    """Opportunities with win probability = base terms + planted effects of adopted, in-scope messages."""
    w = WIN_MODEL
    n = len(reps)
    active_from = np.maximum(0, reps["hire_day"].to_numpy() + 30)
    active_to = span - 20
    active_days = np.maximum(0, active_to - active_from)
    counts = rng.poisson(DEALS_PER_REP_DAY * reps["activity"].to_numpy() * active_days)
    rep = np.repeat(np.arange(n), counts)
    m = len(rep)
    created = active_from[rep] + np.floor(rng.random(m) * active_days[rep]).astype(np.int64)
    close = created + rng.integers(30, 121, m)
    is_open = close > span
    segment = rng.choice(len(SEGMENTS), m, p=SEGMENT_SHARE)
    existing = rng.random(m) < EXISTING_SHARE
    log_z = rng.standard_normal(m)
    amount = np.array(SEGMENT_MEDIAN_AMOUNT)[segment] * np.exp(AMOUNT_SIGMA * log_z)
    amount = np.where(rng.random(m) < 0.8, np.round(amount / 50) * 50, np.round(amount, 2))
    ability = reps["ability"].to_numpy()[rep]
    base = (np.array(list(w["base_by_segment"].values()))[segment]
            + np.clip(w["ability_per_sd"] * ability, -w["ability_clip"], w["ability_clip"])
            + w["trend_over_window"] * (close / span - 0.5)
            + w["existing_business"] * existing
            + w["amount_per_log_sd"] * np.clip(log_z, -2, 2))
    base = np.clip(base, *w["base_clip"])
    adopted, scope = {}, {}
    for i, msg in msgs.iterrows():     # four messages, each vectorized over all deals
        in_scope = ~is_open & (close >= launch[i])
        if pd.notna(msg["target_segment"]):
            in_scope &= segment == SEGMENTS.index(msg["target_segment"])
        cert = certified[rep, i]
        adopted[i] = in_scope & (cert <= close)       # NaN (never certified) compares False
        scope[i] = in_scope
    u_win = rng.random(m)              # the outcome is decided once the calls are drawn (_outcomes)
    account = (rep * ACCOUNTS_PER_REP + rng.integers(0, ACCOUNTS_PER_REP, m)) % n_accounts
    deals = pd.DataFrame({
        "rep": rep, "created_day": created, "close_day": close, "created_minute": rng.integers(7 * 60, 20 * 60, m),
        "close_minute": rng.integers(7 * 60, 20 * 60, m), "segment": np.array(SEGMENTS)[segment],
        "deal_type": np.where(existing, DEAL_TYPES[1], DEAL_TYPES[0]), "amount": amount,
        "product": rng.integers(0, len(PRODUCTS), m), "lead_source": rng.integers(0, len(LEAD_SOURCES), m),
        "open_stage": rng.integers(0, len(OPEN_STAGES_SF), m), "account": account,
        "is_open": is_open, "u_win": u_win, "p_base": base,
        **{f"adopted_{i}": a for i, a in adopted.items()}, **{f"in_scope_{i}": a for i, a in scope.items()},
    })
    deals = deals.sort_values(["created_day", "rep"], kind="stable", ignore_index=True)
    key = (deals["account"].to_numpy() * len(PRODUCTS) + deals["product"].to_numpy()) * 2 \
        + (deals["deal_type"] == DEAL_TYPES[1]).to_numpy()
    deals["name_seq"] = pd.Series(key).groupby(key).cumcount().to_numpy()
    deals["region"] = reps["region"].to_numpy()[deals["rep"].to_numpy()]
    return deals


def _outcomes(deals: pd.DataFrame, msgs: pd.DataFrame, calls: pd.DataFrame) -> dict:
    """Win or loss of each closed deal: base + direct effect of adoption + planted effect of saying the message.

    The direct part is set so that adoption keeps its planted total effect_pp on average (WIN_MODEL["law"]);
    returns per message the share of calls and of in-scope closed deals where the rep said it, and the parts.
    """
    p_win = deals["p_base"].to_numpy().copy()
    out = {}
    for i, msg in msgs.iterrows():
        on_deal = np.zeros(len(deals), dtype=bool)
        on_deal[calls.loc[calls[f"said_{i}"], "deal"].to_numpy()] = True
        used = deals[f"in_scope_{i}"].to_numpy() & on_deal
        deals[f"used_{i}"] = used
        adopted, scope = deals[f"adopted_{i}"].to_numpy(), deals[f"in_scope_{i}"].to_numpy()
        gap = float(used[adopted].mean() - used[scope & ~adopted].mean()) if adopted.any() and (
            scope & ~adopted).any() else 0.0
        direct = msg["effect_pp"] - msg["usage_effect_pp"] * gap
        p_win += (adopted * direct + used * msg["usage_effect_pp"]) / 100.0
        cert = calls[f"certified_{i}"].to_numpy() & calls[f"in_scope_{i}"].to_numpy()
        uncert = ~calls[f"certified_{i}"].to_numpy() & calls[f"in_scope_{i}"].to_numpy()
        out[msg["name"]] = {
            "direct_pp": round(direct, 3), "used_deal_share_adopted": round(float(used[adopted].mean()), 4)
            if adopted.any() else None,
            "used_deal_share_not_adopted": round(float(used[scope & ~adopted].mean()), 4)
            if (scope & ~adopted).any() else None,
            "said_call_share_certified": round(float(calls.loc[cert, f"said_{i}"].mean()), 4) if cert.any() else None,
            "said_call_share_not_certified": round(float(calls.loc[uncert, f"said_{i}"].mean()), 4)
            if uncert.any() else None,
            "n_deals_used": int(used.sum()),
        }
    deals["p_win"] = p_win
    deals["is_won"] = ~deals["is_open"].to_numpy() & (deals["u_win"].to_numpy() < p_win)
    return out


def _split_templates():
    """Flatten NOTE_TEMPLATES into prefix/slot/suffix arrays and per-(message, sentiment) pools."""
    texts, pools = [], {}
    def add(items):
        ids = []
        for t in items:
            ids.append(len(texts))
            texts.append(t)
        return ids
    generic = {k: add(v) for k, v in NOTE_TEMPLATES[""].items()}
    for m in MESSAGES:
        own = {k: add(v) for k, v in NOTE_TEMPLATES[m.name].items()}
        if m.name == DISLIKED_MESSAGE:
            pools[m.name] = {"pos": generic["pos"] + own["pos"], "neu": own["neg"] + own["pos"],
                             "neg": own["neg"]}
        else:
            pools[m.name] = {"pos": own["pos"] + generic["pos"], "neu": generic["neu"] + own["neg"],
                             "neg": own["neg"]}
    prefix, slot, suffix = [], [], []
    for t in texts:
        for kind, token in ((1, "{account}"), (2, "{n}"), (0, None)):
            if token is None or token in t:
                a, _, b = t.partition(token) if token else (t, "", "")
                prefix.append(a), slot.append(kind), suffix.append(b)
                break
    return np.array(prefix, dtype=object), np.array(slot), np.array(suffix, dtype=object), pools


def _feedback(rng, reps, msgs, certified, span, accounts):
    """Field feedback by certified reps after certification; one message is clearly disliked."""
    n, n_msg = certified.shape
    rep = np.repeat(np.arange(n), n_msg)
    msg = np.tile(np.arange(n_msg), n)
    cert = certified.ravel()
    ok = ~np.isnan(cert) & (cert < span)
    rep, msg, cert = rep[ok], msg[ok], cert[ok].astype(np.int64)
    months = (span - cert) / 30.4
    lam = FEEDBACK_PER_MONTH * months * reps["feedback_propensity"].to_numpy()[rep]
    counts = rng.poisson(lam)
    rep, msg, cert = np.repeat(rep, counts), np.repeat(msg, counts), np.repeat(cert, counts)
    k = len(rep)
    day = cert + 1 + np.floor(rng.random(k) * (span - cert)).astype(np.int64)
    disliked = (msgs["name"].to_numpy() == DISLIKED_MESSAGE)[msg]
    mu = np.where(disliked, RATING_MEAN["disliked"], RATING_MEAN["other"])
    rating = np.clip(np.rint(rng.normal(mu, RATING_SD)), 1, 5).astype(int)
    cum = np.cumsum(OUTCOME_BY_RATING, axis=1)[rating - 1]
    outcome = np.array(OUTCOMES)[np.minimum((rng.random(k)[:, None] > cum).sum(axis=1), len(OUTCOMES) - 1)]

    prefix, slot, suffix, pools = _split_templates()
    sentiment = np.where(rating >= 4, 0, np.where(rating == 3, 1, 2))
    keys = [(m, s) for m in msgs["name"] for s in ("pos", "neu", "neg")]
    width = max(len(pools[m][s]) for m, s in keys)
    table = np.full((len(keys), width), -1)
    lengths = np.zeros(len(keys), dtype=int)
    for j, (m, s) in enumerate(keys):
        table[j, :len(pools[m][s])] = pools[m][s]
        lengths[j] = len(pools[m][s])
    row_key = msg * 3 + sentiment
    n_pool = lengths[row_key]
    rot = np.floor(rng.random(k) * n_pool).astype(int)
    n_sent = np.minimum(rng.choice([1, 2, 3], k, p=[0.45, 0.35, 0.20]), n_pool)
    notes = pd.Series([""] * k, dtype="str")
    acct = accounts[rng.integers(0, len(accounts), (k, 3))]
    numbers = rng.integers(3, 60, (k, 3))
    newline = rng.random((k, 3)) < 0.25
    for j in range(3):
        tid = table[row_key, (rot + j) % n_pool]
        fill = pd.Series(np.where(slot[tid] == 1, acct[:, j], ""), dtype="str")
        fill = fill.where(slot[tid] != 2, pd.Series(numbers[:, j]).astype(str))
        sentence = pd.Series(prefix[tid], dtype="str") + fill + pd.Series(suffix[tid], dtype="str")
        sep = pd.Series(np.where(newline[:, j], "\n", " "), dtype="str") if j else ""
        notes = notes.where(n_sent <= j, notes + sep + sentence)
    fb = pd.DataFrame({"rep": rep, "msg": msg, "day": day, "rating": rating, "outcome": outcome,
                       "notes": notes, "as_name": rng.random(k) < 0.15,
                       "msg_variant": rng.choice(5, k, p=[0.80, 0.06, 0.05, 0.05, 0.04])})
    fb = fb[fb["day"] <= span]
    return fb.sort_values(["day", "rep", "msg"], kind="stable", ignore_index=True)
