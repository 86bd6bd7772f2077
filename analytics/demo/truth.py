"""The demo company's planted truths: messages and their true effects, win model, certification, forgetting law."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, timedelta

import numpy as np

from ..settings import PASS_MARK

DEFAULT_START = date(2024, 12, 1)
DEFAULT_END = date(2026, 11, 27)
TARGET_DAYS = 90          # a message's adoption target date is this many days after launch


@dataclass(frozen=True)
class DemoMessage:
    """One message of marketing's launch plan with its planted effect (dates for the default window)."""

    name: str
    launch_date: date
    target_segment: str | None
    effect_pp: float          # true change in win probability, in percentage points, on adopted (certified) deals:
                              # the part through saying it in calls plus a direct part (WIN_MODEL["law"])
    adoption_target: float
    difficulty: float         # divides the recall half-life; >1 is harder to remember
    owner: str
    description: str
    key_phrases: str = ""         # the catalog's ';'-separated tracker phrases
    use_max: float = 0.0          # P(a certified rep who says it at all says it in an in-scope call) at full recall
    use_share: float = 0.0        # share of reps who say it at all (the others never do)
    usage_effect_pp: float = 0.0  # true change in win probability on deals where the rep said it before the close

    @property
    def target_date(self) -> date:
        """Date by which the adoption target should be met."""
        return self.launch_date + timedelta(days=TARGET_DAYS)


MESSAGES: tuple[DemoMessage, ...] = (
    DemoMessage("Security-First Value Prop", date(2025, 4, 1), None, 8.0, 0.80, 1.0, "Priya Raman",
                "Lead with risk reduction: SOC 2, data residency and audit trails, then value.",
                "SOC 2; data residency; audit trail; risk reduction; security first; reduce your risk", 0.70, 0.90,
                14.0),
    DemoMessage("Platform Consolidation Story", date(2025, 8, 4), "Enterprise", 4.0, 0.70, 1.4, "Marcus Bell",
                "Replace five point tools with one platform; TCO slide, migration plan, \"one bill\".",
                "one platform; one bill; point tools; consolidate; total cost of ownership; TCO; migration plan",
                0.55, 0.85, 10.0),
    DemoMessage("ROI Calculator Talk Track", date(2025, 12, 1), None, -5.0, 0.80, 0.9, "Priya Raman",
                "Walk the buyer through the ROI calculator: payback in months, three-year savings.",
                "ROI calculator; payback; three-year savings; return on investment; pays for itself", 0.60, 0.90,
                -10.0),
    DemoMessage("AI Copilot Positioning", date(2026, 4, 6), None, 2.0, 0.75, 1.2, "Hannah Cole",
                "Position the AI copilot as a productivity multiplier, with a live demo.",
                "AI copilot; copilot; productivity multiplier; live demo; hours back", 0.30, 0.20, 6.0),
)
NEGATIVE_MESSAGE = "ROI Calculator Talk Track"
DISLIKED_MESSAGE = "Platform Consolidation Story"
DISLIKED_THEMES = ("too long", "confused", "pricing claims")
TRANSFER_GAP_MESSAGE = "AI Copilot Positioning"     # certified widely, rarely said in calls (small use_share)

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
           "+ sum over messages in scope of (direct_pp/100 if adopted at close + usage_effect_pp/100 if the rep "
           "said it in a call on the deal); direct_pp = effect_pp - usage_effect_pp * (share of adopted deals used "
           "- share of not-adopted deals used), so adopting (certifying) still changes wins by effect_pp on average",
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
    "pass_threshold": PASS_MARK,
    "difficulty": {m.name: m.difficulty for m in MESSAGES},
    "practice_gap_median_days": 21.0, "practice_gap_sigma": 0.9, "practice_continue": 0.965,
    "ungraded_share": 0.015,
}

# Calls (a conversation-intelligence export): a few per deal; in each, the rep says a message with probability
# organic before launch or outside its segment; else, for the use_share of reps who say it at all,
# uncertified_share * use_max before the rep certified and use_max * (uncertified_share + (1 - uncertified_share)
# * recall) after, recall = 2 ** (-gap / half_life) of the forgetting law at the call (FORGETTING), so use fades as
# the rep forgets and returns after practice; the other reps never say it.
CALLS = {
    "per_deal_p": [0.40, 0.42, 0.14, 0.04],      # P(0, 1, 2, 3 calls) per deal, between creation and close
    "types": ["Discovery", "Demo", "Negotiation"],
    "type_cuts": [0.35, 0.75],                   # share of the deal's life after which the next type starts
    "words": [80, 190],                          # target words per transcript (up to one exchange more)
    "organic": 0.02,
    "uncertified_share": 0.15,
    "phrase_share": {"certified": 0.65, "uncertified": 0.35},   # uses containing a key phrase vs a paraphrase
    "two_sentences": 0.30,
    "prospect_negative": 0.15, "rep_negative": 0.02,             # per call: the words without the message
    "minutes": {"Discovery": [20, 45], "Demo": [30, 60], "Negotiation": [15, 40]},
    "mixed_case_email": 0.10,
    "law": "P(said in call) = organic (before launch / outside segment); 0 for reps who never say it (1 - "
           "use_share); uncertified_share * use_max (not certified at the call); use_max * (uncertified_share + "
           "(1 - uncertified_share) * recall) (certified)",
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
