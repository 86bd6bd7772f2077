"""Seeded demo company: realistic CRM, LMS, feedback, catalog and roster exports with planted, known truths."""

from __future__ import annotations

import argparse
import json
import time
import unicodedata
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

DEFAULT_START = date(2024, 12, 1)
DEFAULT_END = date(2026, 11, 27)
TARGET_DAYS = 90          # a message's adoption target date is this many days after launch
PASS_THRESHOLD = 0.8      # a quiz attempt passes at 80 %


@dataclass(frozen=True)
class DemoMessage:
    """One message of marketing's launch plan with its planted effect (dates for the default window)."""

    name: str
    launch_date: date
    target_segment: str | None
    effect_pp: float          # true change in win probability, in percentage points, on adopted deals
    adoption_target: float
    difficulty: float         # divides the recall half-life; >1 is harder to remember
    owner: str
    description: str

    @property
    def target_date(self) -> date:
        """Date by which the adoption target should be met."""
        return self.launch_date + timedelta(days=TARGET_DAYS)


MESSAGES: tuple[DemoMessage, ...] = (
    DemoMessage("Security-First Value Prop", date(2025, 4, 1), None, 8.0, 0.80, 1.0, "Priya Raman",
                "Lead with risk reduction: SOC 2, data residency and audit trails, then value."),
    DemoMessage("Platform Consolidation Story", date(2025, 8, 4), "Enterprise", 4.0, 0.70, 1.4, "Marcus Bell",
                "Replace five point tools with one platform; TCO slide, migration plan, \"one bill\"."),
    DemoMessage("ROI Calculator Talk Track", date(2025, 12, 1), None, -5.0, 0.80, 0.9, "Priya Raman",
                "Walk the buyer through the ROI calculator: payback in months, three-year savings."),
    DemoMessage("AI Copilot Positioning", date(2026, 4, 6), None, 2.0, 0.75, 1.2, "Hannah Cole",
                "Position the AI copilot as a productivity multiplier, with a live demo."),
)
NEGATIVE_MESSAGE = "ROI Calculator Talk Track"
DISLIKED_MESSAGE = "Platform Consolidation Story"
DISLIKED_THEMES = ("too long", "confused", "pricing claims")

SEGMENTS = ("SMB", "Mid-Market", "Enterprise")
SEGMENT_SHARE = (0.45, 0.33, 0.22)
SEGMENT_MEDIAN_AMOUNT = (9_000.0, 32_000.0, 140_000.0)
AMOUNT_SIGMA = 0.55
DEAL_TYPES = ("New Business", "Existing Business")
EXISTING_SHARE = 0.35
PRODUCTS = ("Huddle Platform", "Analytics Add-on", "Security Suite", "Premium Support")
LEAD_SOURCES = ("Web", "Partner Referral", "Outbound", "Trade Show", "Customer Referral")
OPEN_STAGES_SF = ("Prospecting", "Qualification", "Negotiation/Review")
OPEN_STAGES_HS = ("appointmentscheduled", "qualifiedtobuy", "contractsent")
OPEN_PROBABILITY_SF = ("10", "10", "90")

TEAMS = ("NA East", "NA West", "EMEA North", "EMEA South", "APAC ANZ", "APAC Asia")
TEAM_REGION = ("North America", "North America", "EMEA", "EMEA", "APAC", "APAC")
MANAGERS = ("Rachel Adams", "Tom Becker", "Ingrid Solberg", "Paolo Conti", "Mia Thompson", "Kenji Watanabe")
QUIET_TEAM = "APAC Asia"          # this team rarely logs field feedback
QUIET_FACTOR = 0.08

# Win probability (a probability, so an effect in pp is exactly the change on adopted deals).
WIN_MODEL = {
    "base_by_segment": dict(zip(SEGMENTS, (0.44, 0.38, 0.30))),
    "ability_per_sd": 0.07, "ability_clip": 0.15,
    "trend_over_window": 0.04,            # linear in close date, centred on the middle of the window
    "existing_business": 0.06,
    "amount_per_log_sd": -0.02,           # within segment, larger deals win a little less often
    "base_clip": [0.15, 0.80],
    "law": "p = clip(base_segment + ability + trend + deal_type + amount, 0.15, 0.80) "
           "+ sum(effect_pp/100 of every message in scope and adopted at close)",
}
DEALS_PER_REP_DAY = 0.29

# Certification: first attempt some days after launch (fewer for able reps), retries 2-10 days apart.
CERTIFICATION = {
    "never_engage_logit": [-2.0, -1.2],   # P(never attempts) = sigmoid(a + b * ability)
    "median_delay_days": 20.0, "delay_ability": -0.6, "delay_sigma": 0.6,
    "score_mean": 0.74, "score_ability": 0.07, "score_difficulty": -0.08, "score_per_retry": 0.05,
    "score_sd": 0.08, "max_attempts": 5,
}

FORGETTING = {
    "law": "score = clip(floor + scale * 2 ** (-gap_days / half_life) + N(0, noise_sd), 0, 1); "
           "half_life = h0_days * 2 ** n_successes * exp(ability_coef * ability) / difficulty",
    "gap_days": "days since the rep's previous graded attempt on the message (certification pass included)",
    "n_successes": "earlier practice attempts on the message that passed (score >= 0.8)",
    "h0_days": 20.0, "ability_coef": 0.25, "floor": 0.35, "scale": 0.65, "noise_sd": 0.07,
    "pass_threshold": PASS_THRESHOLD,
    "difficulty": {m.name: m.difficulty for m in MESSAGES},
    "practice_gap_median_days": 21.0, "practice_gap_sigma": 0.9, "practice_continue": 0.965,
    "ungraded_share": 0.015,
}

FEEDBACK_PER_MONTH = 0.30             # per certified rep and message, before the rep's propensity
RATING_MEAN = {"disliked": 2.2, "other": 3.9}
RATING_SD = 0.85
OUTCOMES = ("Positive", "Neutral", "Objection", "Lost interest")
OUTCOME_BY_RATING = np.array([         # rows: rating 1..5
    [0.00, 0.05, 0.45, 0.50],
    [0.00, 0.20, 0.55, 0.25],
    [0.10, 0.55, 0.30, 0.05],
    [0.60, 0.35, 0.05, 0.00],
    [0.85, 0.15, 0.00, 0.00],
])

FIRST_NAMES = (
    "James", "Maria", "Wei", "Aisha", "Lucas", "Sofia", "Hiroshi", "Priya", "Mateo", "Emma", "Oliver", "Chen",
    "Fatima", "Noah", "Ana", "Ivan", "Yuki", "Omar", "Elena", "Daniel", "Grace", "Raj", "Lena", "Kofi", "Sara",
    "Tomás", "Ingrid", "Mohammed", "Julia", "Arjun", "Hannah", "Diego", "Mei", "Lars", "Amara", "Pedro", "Nadia",
    "Kenji", "Olivia", "Samuel", "Chloé", "Ahmed", "Isabel", "Felix", "Leila", "Marco", "Anya", "Ethan", "Zainab",
    "Luca", "Camille", "Jonas", "Ren", "Beatriz", "Andrés", "Freya", "Hamid", "Clara", "Sven", "Imani", "Pablo",
    "Mia", "Tariq", "Nora", "Viktor", "Rosa", "Kai", "Elif", "Gabriel", "Ava", "Malik", "Lucía", "Oscar",
    "Saanvi", "Hugo", "Inès", "Rohan", "Astrid", "Dmitri", "Noémie", "José", "Zoë", "Liam", "Siobhán",
    "François", "Björn",
)
LAST_NAMES = (
    "Smith", "García", "Müller", "O'Brien", "Nguyen", "Kim", "Patel", "Rossi", "Silva", "Kowalski", "Johansson",
    "Dubois", "Tanaka", "Okafor", "Haddad", "Schmidt", "Fernández", "Wang", "Singh", "Ivanova", "Brown", "Lopez",
    "Novak", "Jensen", "Costa", "Yamamoto", "Mensah", "Khan", "Larsen", "Moreau", "Park", "Ahmed", "Bianchi",
    "Santos", "Nowak", "Eriksson", "Laurent", "Sato", "Adeyemi", "Rahman", "Wilson", "Martínez", "Fischer",
    "O'Connor", "Chen", "Kumar", "Ricci", "Pereira", "Horvat", "Nielsen", "Girard", "Ito", "Boateng", "Aziz",
    "Taylor", "Gómez", "Weber", "D'Angelo", "Li", "Reddy", "Romano", "Oliveira", "Varga", "Berg", "Lefèvre",
    "Suzuki", "Owusu", "Hassan", "Clarke", "Núñez", "Schäfer", "McCarthy", "Zhang", "Iyer", "Greco", "Souza",
    "Popescu", "Lindqvist", "Fontaine", "Ångström",
)
FEATURED_REPS = (("José", "García"), ("Zoë", "Müller"), ("Liam", "O'Brien"), ("Siobhán", "O'Connor"),
                 ("François", "Lefèvre"), ("Chloé", "D'Angelo"), ("Björn", "Ångström"))
EMAIL_DOMAIN = "huddle-demo.com"

ACCOUNT_HEADS = (
    "Acme", "Northwind", "Contoso", "Globex", "Initech", "Umbrella", "Stark", "Wayne", "Cyberdyne", "Tyrell",
    "Vandelay", "Wonka", "Blue Harbor", "Red Rock", "Silverline", "Ironwood", "Bluebird", "Summit", "Evergreen",
    "Pinnacle", "Crescent", "Orion", "Atlas", "Polaris", "Meridian", "Horizon", "Keystone", "Redwood", "Granite",
    "Lighthouse", "O'Neil", "Harbor & Finch", "Nordic", "Sakura", "Andes", "Sahara", "Baltic", "Pacific",
    "Alpine", "Coral", "Falcon", "Lynx", "Maple", "Oakridge", "Quantum", "Riverside", "Sterling", "Trident",
    "Unity", "Vertex", "Willow", "Zenith", "Aurora", "Beacon", "Cobalt", "Delta", "Ember", "Fjord", "Gemini",
    "Helix",
)
ACCOUNT_CORES = (
    "Logistics", "Robotics", "Health", "Foods", "Analytics", "Energy", "Capital", "Retail", "Media", "Biotech",
    "Software", "Airlines", "Insurance", "Telecom", "Motors", "Pharma", "Textiles", "Mining", "Shipping",
    "Hotels", "Foods & Beverages", "Semiconductors", "Payments", "Learning", "Security", "Chemicals", "Farms",
    "Labs", "Networks", "Outdoor", "Studios", "Water", "Solar", "Steel", "Finance", "Games", "Travel", "Dental",
    "Fashion", "Data",
)
ACCOUNT_TAILS = (" Inc.", ", Inc.", " GmbH", " Ltd", " AG", " S.A.", " Group", " Holdings", " LLC", " Co.",
                 " Pty Ltd", " K.K.")
ACCOUNTS_PER_REP = 40

# Feedback note templates: {account} or {n} is filled per row. Keys: message name or "" (generic).
NOTE_TEMPLATES = {
    "": {
        "pos": ["Used it with {account} and it landed well.",
                "Good opener for discovery calls.",
                "Champion said \"this is exactly what our board asks about\".",
                "Easy to deliver, I used it on {n} calls this week."],
        "neu": ["Mixed reaction at {account}; they want to see it in a pilot first.",
                "No strong reaction either way.",
                "Used it once, too early to tell."],
    },
    "Security-First Value Prop": {
        "pos": ["Security team at {account} loved the compliance angle, especially SOC 2.",
                "The CISO asked for the threat-model one-pager.",
                "Data residency slide opened the door with legal."],
        "neg": ["Needs more customer proof points for regulated industries.",
                "Buyer said \"every vendor says security-first\", we need sharper differentiation.",
                "Procurement at {account} wanted the pen-test report before any call."],
    },
    "Platform Consolidation Story": {
        "pos": ["Architects at {account} liked the migration plan.",
                "Works once the exec sponsor is in the room."],
        "neg": ["Too long: the deck is {n} slides and we lost the room halfway through.",
                "Way too long for a first call, it takes 25 minutes before the demo.",
                "Prospects confused about which of their tools we actually replace.",
                "{account} asked \"so is this one product or five?\", prospects confused.",
                "Pricing claims challenged by procurement at {account}.",
                "The \"cut your tool spend by 40%\" line backfired; pricing claims need backup."],
    },
    "ROI Calculator Talk Track": {
        "pos": ["CFO at {account} engaged with the payback math.",
                "The calculator made the business case concrete, finance loved it.",
                "Payback of {n} months got the economic buyer's attention."],
        "neg": ["Buyer wanted benchmarks from their own industry.",
                "The spreadsheet needs a simpler input sheet; reps fumble it live.",
                "Finance at {account} asked to redo it with their own numbers."],
    },
    "AI Copilot Positioning": {
        "pos": ["Live copilot demo got a \"wow\" at {account}.",
                "Great hook for innovation-minded buyers.",
                "Ops leads asked for a trial after {n} minutes of demo."],
        "neg": ["Security review asked about data privacy and model training.",
                "They had seen a similar demo from a competitor, comparison questions.",
                "Demo environment was slow, hurt the story."],
    },
}


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


def expected_score(gap_days, n_successes, ability=0.0, difficulty=1.0):
    """Expected practice score under the planted forgetting law (numpy-broadcasting)."""
    f = FORGETTING
    half_life = (f["h0_days"] * np.power(2.0, n_successes) * np.exp(f["ability_coef"] * np.asarray(ability))
                 / np.asarray(difficulty))
    return f["floor"] + f["scale"] * np.power(2.0, -np.asarray(gap_days, dtype=float) / half_life)


def message_schedule(start: date = DEFAULT_START, end: date = DEFAULT_END) -> list[dict]:
    """The four messages with launch dates placed at the same fractions of [start, end] as in MESSAGES."""
    default_span = (DEFAULT_END - DEFAULT_START).days
    span = (end - start).days
    out = []
    for m in MESSAGES:
        frac = (m.launch_date - DEFAULT_START).days / default_span
        launch = start + timedelta(days=round(frac * span))
        d = asdict(m)
        d.update(launch_date=launch, target_date=launch + timedelta(days=TARGET_DAYS),
                 is_disliked=m.name == DISLIKED_MESSAGE)
        out.append(d)
    return out


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
    truth = {
        "seed": seed, "n_reps": n_reps, "start": start.isoformat(), "end": end.isoformat(),
        "effects_pp": {m["name"]: m["effect_pp"] for m in schedule},
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
    return World(reps, msgs, deals, attempts, feedback, certified, accounts, truth)


def generate(out_dir: Path | str, seed: int = 7, n_reps: int = 150,
             start: date = DEFAULT_START, end: date = DEFAULT_END, salesforce_all_regions: bool = False) -> dict:
    """Write the six demo CSV exports into out_dir and return the planted truth and row counts.

    salesforce_all_regions puts every region's deals in the Salesforce export (benchmarks use it for a
    one-million-row Salesforce file; the HubSpot file then repeats the EMEA deals).
    """
    world = build_world(seed, n_reps, start, end)
    files = write_exports(world, out_dir, start, end, salesforce_all_regions)
    return {**world.truth, "files": files}


def write_exports(world: World, out_dir: Path | str, start: date = DEFAULT_START,
                  end: date = DEFAULT_END, salesforce_all_regions: bool = False) -> dict[str, int]:
    """Write the world as real-format exports; returns data rows per file name."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    return {
        "messages.csv": _write_messages(world, out),
        "roster.csv": _write_roster(world, out, start),
        "salesforce_opportunities.csv": _write_salesforce(world, out, start, end, salesforce_all_regions),
        "hubspot_deals.csv": _write_hubspot(world, out, start),
        "lms_quiz_results.csv": _write_quiz(world, out, start),
        "field_feedback.csv": _write_feedback(world, out, start),
    }


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
    n_pool = len(ACCOUNT_HEADS) * len(ACCOUNT_CORES) * len(ACCOUNT_TAILS)
    codes = rng.permutation(n_pool)[:min(n_pool, n_reps * ACCOUNTS_PER_REP)]
    n_core, n_tail = len(ACCOUNT_CORES), len(ACCOUNT_TAILS)
    return np.array([f"{ACCOUNT_HEADS[c // (n_core * n_tail)]} {ACCOUNT_CORES[c // n_tail % n_core]}"
                     f"{ACCOUNT_TAILS[c % n_tail]}" for c in codes], dtype=object)


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
    passed = score >= PASS_THRESHOLD
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
        n_succ = n_succ + (valid[:, k] & (s >= PASS_THRESHOLD))
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
    effect = np.zeros(m)
    adopted = {}
    for i, msg in msgs.iterrows():     # four messages, each vectorized over all deals
        in_scope = ~is_open & (close >= launch[i])
        if pd.notna(msg["target_segment"]):
            in_scope &= segment == SEGMENTS.index(msg["target_segment"])
        cert = certified[rep, i]
        adopted[i] = in_scope & (cert <= close)       # NaN (never certified) compares False
        effect += adopted[i] * msg["effect_pp"] / 100.0
    p_win = base + effect
    won = ~is_open & (rng.random(m) < p_win)
    account = (rep * ACCOUNTS_PER_REP + rng.integers(0, ACCOUNTS_PER_REP, m)) % n_accounts
    deals = pd.DataFrame({
        "rep": rep, "created_day": created, "close_day": close, "created_minute": rng.integers(7 * 60, 20 * 60, m),
        "close_minute": rng.integers(7 * 60, 20 * 60, m), "segment": np.array(SEGMENTS)[segment],
        "deal_type": np.where(existing, DEAL_TYPES[1], DEAL_TYPES[0]), "amount": amount,
        "product": rng.integers(0, len(PRODUCTS), m), "lead_source": rng.integers(0, len(LEAD_SOURCES), m),
        "open_stage": rng.integers(0, len(OPEN_STAGES_SF), m), "account": account,
        "is_open": is_open, "is_won": won, "p_base": base, "p_win": p_win,
        **{f"adopted_{i}": a for i, a in adopted.items()},
    })
    deals = deals.sort_values(["created_day", "rep"], kind="stable", ignore_index=True)
    key = (deals["account"].to_numpy() * len(PRODUCTS) + deals["product"].to_numpy()) * 2 \
        + (deals["deal_type"] == DEAL_TYPES[1]).to_numpy()
    deals["name_seq"] = pd.Series(key).groupby(key).cumcount().to_numpy()
    deals["region"] = reps["region"].to_numpy()[deals["rep"].to_numpy()]
    return deals


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


# ---------------------------------------------------------------- formatting helpers (vectorized)

def _s(values) -> pd.Series:
    return pd.Series(np.asarray(values)).astype(str)


def _days(start: date, offsets) -> np.ndarray:
    return np.datetime64(start, "D") + np.asarray(offsets, dtype=np.int64).astype("timedelta64[D]")


def _iso(start: date, offsets) -> pd.Series:
    return pd.Series(_days(start, offsets).astype(str), dtype="str")


def _us(start: date, offsets) -> pd.Series:
    """M/D/YYYY without zero padding (Salesforce, US locale)."""
    d = _days(start, offsets)
    month_start = d.astype("datetime64[M]")
    year = d.astype("datetime64[Y]").astype(np.int64) + 1970
    month = month_start.astype(np.int64) % 12 + 1
    day = (d - month_start.astype("datetime64[D]")).astype(np.int64) + 1
    return _s(month) + "/" + _s(day) + "/" + _s(year)


def _stamp(start: date, minutes) -> pd.Series:
    """'YYYY-MM-DD HH:MM' from minutes since start."""
    t = np.datetime64(start, "m") + np.asarray(minutes, dtype=np.int64).astype("timedelta64[m]")
    return pd.Series(t.astype(str), dtype="str").str.replace("T", " ", regex=False)


def _grouped(n: np.ndarray) -> pd.Series:
    """Non-negative integers with thousands separators: 1234567 -> '1,234,567'."""
    n = np.asarray(n, dtype=np.int64)
    g = [n % 1000, n // 1000 % 1000, n // 1_000_000 % 1000, n // 1_000_000_000]
    pad = [_s(x).str.zfill(3) for x in g[:3]]
    out = _s(g[0])
    out = out.where(n < 1000, _s(g[1]) + "," + pad[0])
    out = out.where(n < 1_000_000, _s(g[2]) + "," + pad[1] + "," + pad[0])
    return out.where(n < 1_000_000_000, _s(g[3]) + "," + pad[2] + "," + pad[1] + "," + pad[0])


def _money_us(amount: np.ndarray) -> pd.Series:
    """'$12,400.00'."""
    cents = np.round(np.asarray(amount) * 100).astype(np.int64)
    return "$" + _grouped(cents // 100) + "." + _s(cents % 100).str.zfill(2)


def _money_plain(amount: np.ndarray) -> pd.Series:
    """Shortest plain decimal: 12400, 12400.5, 12400.25."""
    cents = np.round(np.asarray(amount) * 100).astype(np.int64)
    whole, frac = _s(cents // 100), cents % 100
    out = whole.where(frac == 0, whole + "." + _s(frac // 10))
    return out.where(frac % 10 == 0, whole + "." + _s(frac).str.zfill(2))


def _quote_all(df: pd.DataFrame) -> str:
    """CSV text with every field quoted (csv.QUOTE_ALL), built column-wise: pandas' writer is slow at this."""
    def q(col: pd.Series) -> pd.Series:
        return '"' + col.astype(str).str.replace('"', '""', regex=False) + '"'
    line = q(df.iloc[:, 0])
    for name in df.columns[1:]:
        line = line + "," + q(df[name])
    header = ",".join('"' + c.replace('"', '""') + '"' for c in df.columns)
    return header + "\n" + "".join(line + "\n")


def _opportunity_names(world: World, deals: pd.DataFrame) -> pd.Series:
    seq = deals["name_seq"].to_numpy()
    name = (pd.Series(world.accounts[deals["account"].to_numpy()], dtype="str") + " - "
            + pd.Series(np.array(PRODUCTS)[deals["product"].to_numpy()], dtype="str"))
    name = name.where(deals["deal_type"].to_numpy() == DEAL_TYPES[0], name + " Renewal")
    return name.where(seq == 0, name + " (" + _s(seq + 1) + ")")


# ---------------------------------------------------------------- the six files

def _write_messages(world: World, out: Path) -> int:
    m = world.messages
    df = pd.DataFrame({
        "Message": m["name"], "Launch Date": [d.isoformat() for d in m["launch_date"]],
        "Target Segment": m["target_segment"].fillna(""), "Owner": m["owner"], "Description": m["description"],
        "Adoption Target": [f"{round(a * 100)}%" for a in m["adoption_target"]],
        "Target Date": [d.isoformat() for d in m["target_date"]],
    })
    df.to_csv(out / "messages.csv", index=False, lineterminator="\n", encoding="utf-8")
    return len(df)


def _write_roster(world: World, out: Path, start: date) -> int:
    r = world.reps
    df = pd.DataFrame({"Name": r["name"], "Email": r["email"], "Team": r["team"], "Region": r["region"],
                       "Manager": r["manager"], "Hire Date": _iso(start, r["hire_day"])})
    df.to_csv(out / "roster.csv", index=False, lineterminator="\n", encoding="utf-8")
    return len(df)


def _stage_sf(d: pd.DataFrame) -> pd.Series:
    open_stage = np.array(OPEN_STAGES_SF)[d["open_stage"].to_numpy()]
    return pd.Series(np.where(d["is_open"], open_stage, np.where(d["is_won"], "Closed Won", "Closed Lost")),
                     dtype="str")


def _write_salesforce(world: World, out: Path, start: date, end: date, all_regions: bool = False) -> int:
    d = world.deals if all_regions else world.deals[world.deals["region"] != "EMEA"]
    d = d.reset_index(drop=True)
    owner = world.reps["name"].to_numpy()[d["rep"].to_numpy()]
    close = _days(start, d["close_day"])
    quarter = (close.astype("datetime64[M]").astype(np.int64) % 12) // 3 + 1
    year = close.astype("datetime64[Y]").astype(np.int64) + 1970
    prob = np.where(d["is_open"], np.array(OPEN_PROBABILITY_SF)[d["open_stage"].to_numpy()],
                    np.where(d["is_won"], "100", "0"))
    df = pd.DataFrame({
        "Opportunity Owner": pd.Series(owner, dtype="str"),
        "Account Name": pd.Series(world.accounts[d["account"].to_numpy()], dtype="str"),
        "Opportunity Name": _opportunity_names(world, d),
        "Type": pd.Series(d["deal_type"].to_numpy(), dtype="str"),
        "Lead Source": pd.Series(np.array(LEAD_SOURCES)[d["lead_source"].to_numpy()], dtype="str"),
        "Amount": _money_us(d["amount"].to_numpy()),
        "Close Date": _us(start, d["close_day"]),
        "Created Date": _us(start, d["created_day"]),
        "Stage": _stage_sf(d),
        "Probability (%)": pd.Series(prob, dtype="str"),
        "Segment": pd.Series(d["segment"].to_numpy(), dtype="str"),
        "Fiscal Period": "Q" + _s(quarter) + "-" + _s(year),
        "_close": d["close_day"].to_numpy(),
    })
    df = df.sort_values(["Opportunity Owner", "_close", "Opportunity Name"], kind="stable").drop(columns="_close")
    end_us = f"{end.month}/{end.day}/{end.year}"
    with open(out / "salesforce_opportunities.csv", "w", encoding="utf-8-sig", newline="") as fh:
        fh.write(_quote_all(df))
        fh.write(f'\n"Huddle Demo Opportunities"\n"Grand Totals ({len(df)} records)"\n\n'
                 f'"Copyright (c) 2000-{end.year} salesforce.com, inc. All rights reserved."\n'
                 '"Confidential Information - Do Not Distribute"\n'
                 f'"Generated By: Dana Ops {end_us} 9:14 AM"\n"Huddle Demo Inc."\n')
    return len(df)


def _write_hubspot(world: World, out: Path, start: date) -> int:
    d = world.deals[world.deals["region"] == "EMEA"].reset_index(drop=True)
    rng = np.random.default_rng(int(world.truth["seed"]) + 1)
    record_id = 15_000_000_000 + np.cumsum(rng.integers(1, 5000, len(d)))
    open_stage = np.array(OPEN_STAGES_HS)[d["open_stage"].to_numpy()]
    stage = np.where(d["is_open"], open_stage, np.where(d["is_won"], "closedwon", "closedlost"))
    df = pd.DataFrame({
        "Record ID": record_id,
        "Deal Name": _opportunity_names(world, d),
        "Deal Stage": stage,
        "Close Date": _stamp(start, d["close_day"].to_numpy() * 1440 + d["close_minute"].to_numpy()),
        "Deal owner": world.reps["name"].to_numpy()[d["rep"].to_numpy()],
        "Amount": _money_plain(d["amount"].to_numpy()),
        "Pipeline": "Sales Pipeline",
        "Create Date": _stamp(start, d["created_day"].to_numpy() * 1440 + d["created_minute"].to_numpy()),
        "Deal Type": np.where(d["deal_type"] == DEAL_TYPES[0], "newbusiness", "existingbusiness"),
        "Associated Company": world.accounts[d["account"].to_numpy()],
        "Segment": d["segment"].to_numpy(),
    })
    df.to_csv(out / "hubspot_deals.csv", index=False, lineterminator="\n", encoding="utf-8")
    return len(df)


def _write_quiz(world: World, out: Path, start: date) -> int:
    a, r = world.attempts, world.reps
    rep = a["rep"].to_numpy()
    mixed = np.array([f"{e.split('@')[0].title()}@Huddle-Demo.com" for e in r["email"]], dtype=object)
    rng = np.random.default_rng(int(world.truth["seed"]) + 2)
    email = np.where(rng.random(len(a)) < 0.15, mixed[rep], r["email"].to_numpy()[rep])
    grade_centi = np.round(a["score"].to_numpy() * 1000)
    graded = ~np.isnan(grade_centi)
    g = np.nan_to_num(grade_centi).astype(np.int64)
    grade = (_s(g // 100) + "." + _s(g % 100).str.zfill(2)).where(graded, "-")
    quiz = a["kind"].astype(str) + ": " + pd.Series(world.messages["name"].to_numpy()[a["msg"].to_numpy()],
                                                     dtype="str")
    df = pd.DataFrame({
        "First name": r["first"].to_numpy()[rep], "Last name": r["last"].to_numpy()[rep],
        "Email address": email, "Quiz": quiz,
        "Started on": _stamp(start, a["at_minute"]),
        "Completed": _stamp(start, a["at_minute"] + a["duration_min"]),
        "Grade/10.00": grade,
    })
    average = g[graded].sum() / max(graded.sum(), 1) / 100
    with open(out / "lms_quiz_results.csv", "w", encoding="utf-8", newline="") as fh:
        df.to_csv(fh, index=False, lineterminator="\n")
        fh.write(f"Overall average,,,,,,{average:.2f}\n")
    return len(df)


def _message_variants(name: str) -> list[str]:
    words = name.split(" ")
    return [name, name.lower(), " ".join(words[:2]) + "  " + " ".join(words[2:]), f" {name} ", name.upper()]


def _write_feedback(world: World, out: Path, start: date) -> int:
    f, r = world.feedback, world.reps
    rep = f["rep"].to_numpy()
    variants = np.array([_message_variants(n) for n in world.messages["name"]], dtype=object)
    iso = _iso(start, f["day"])
    who = np.where(f["as_name"], r["name"].to_numpy()[rep], r["email"].to_numpy()[rep])
    df = pd.DataFrame({
        "Date": iso.str.slice(8, 10) + "." + iso.str.slice(5, 7) + "." + iso.str.slice(0, 4),
        "Rep": who, "Message": variants[f["msg"].to_numpy(), f["msg_variant"].to_numpy()],
        "Rating": f["rating"].to_numpy(), "Outcome": f["outcome"].to_numpy(), "Notes": f["notes"].to_numpy(),
    })
    df.to_csv(out / "field_feedback.csv", index=False, sep=";", lineterminator="\n", encoding="utf-8")
    return len(df)


def main(argv: list[str] | None = None) -> None:
    """python -m analytics.demo OUT_DIR [--reps N] [--seed S]: write the demo exports and time it."""
    ap = argparse.ArgumentParser(description=main.__doc__)
    ap.add_argument("out_dir")
    ap.add_argument("--reps", type=int, default=150)
    ap.add_argument("--seed", type=int, default=7)
    args = ap.parse_args(argv)
    t0 = time.perf_counter()
    truth = generate(args.out_dir, seed=args.seed, n_reps=args.reps)
    elapsed = time.perf_counter() - t0
    print(json.dumps({"seconds": round(elapsed, 2), "files": truth["files"],
                      "n_certified": truth["n_certified"], "open_share": truth["open_share"]}, indent=1))


if __name__ == "__main__":
    main()
