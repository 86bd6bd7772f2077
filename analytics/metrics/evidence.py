"""Evidence tiers of a lift estimate and the plain-language sentence that goes with it.

Thresholds per arm (adopted and not-adopted in-scope deals, and the reps owning them):
- insufficient: no adjusted estimate, or fewer than 30 deals or 3 reps in an arm;
- directional: fewer than 100 deals or 10 reps in an arm, or the interval includes zero;
- moderate: at least 100 deals and 10 reps per arm and an interval that excludes zero;
- strong: at least 400 deals and 30 reps per arm, an interval at most 10 points wide, and an estimate at least
  1.5 half-widths away from zero (about p < 0.005), so a bound that barely clears zero is only moderate.
The rule itself is analytics.settings.evidence_tier (the estimators apply it too); it is re-exported here.
"""

from __future__ import annotations

from collections.abc import Mapping

from analytics.metrics.missing import missing
from analytics.settings import EVIDENCE_TIERS as ALL_TIERS
from analytics.settings import MIN_DEALS, MIN_REPS, STRONG_MAX_WIDTH_PP, STRONG_MIN_HALF_WIDTHS
from analytics.settings import evidence_tier  # noqa: F401  (the rule: one definition, below metrics and estimators)

# The default estimator's tiers ("not separable" comes only from the robust estimator).
EVIDENCE_TIERS = tuple(t for t in ALL_TIERS if t != "not separable")


VERDICTS = ("harmful", "helpful", "uncertain")
CONFIDENT_TIERS = ("moderate", "strong")
VERDICT_LABELS = {"harmful": "Lowers win rates", "helpful": "Raises win rates", "uncertain": "Uncertain"}


def verdict(lift_pp: float | None, ci_low_pp: float | None, ci_high_pp: float | None, tier: str | None) -> str:
    """Harmful or helpful when the interval excludes zero with moderate or strong evidence, else uncertain."""
    if missing(lift_pp) or missing(ci_low_pp) or missing(ci_high_pp) or tier not in CONFIDENT_TIERS:
        return "uncertain"
    if ci_high_pp < 0:
        return "harmful"
    return "helpful" if ci_low_pp > 0 else "uncertain"


def describe_lift(row: Mapping) -> str:
    """One plain-language sentence for a message's adjusted lift."""
    lift, low, high = row.get("adjusted_lift_pp"), row.get("ci_low_pp"), row.get("ci_high_pp")
    evidence = row.get("evidence") or "insufficient"
    if missing(lift) or evidence == "insufficient":
        return (f"Not enough data to compare certified and other reps' deals yet "
                f"({_int(row.get('closed_deals_adopted'))} adopted and "
                f"{_int(row.get('closed_deals_not_adopted'))} other closed deals in scope).")
    size = abs(round(lift))
    if size == 0:
        head = "Deals by certified reps won about as often as comparable deals"
    else:
        word = "point" if size == 1 else "points"
        head = f"Deals by certified reps won {size} {word} {'more' if lift > 0 else 'less'} often than comparable deals"
    if missing(low) or missing(high):
        return f"{head} (no interval: too few reps to resample). Evidence: {evidence}."
    text = f"{head} (likely between {_signed(low)} and {_signed(high)})"
    if low <= 0 <= high:
        text += "; we can't rule out no effect"
    return f"{text}. Evidence: {evidence}."


def evidence_note() -> str:
    """The evidence tiers in words, from the thresholds in this module."""
    d, r = MIN_DEALS, MIN_REPS
    return (f"Evidence: *insufficient* below {d['directional']} deals or {r['directional']} reps in either arm; "
            f"*directional* below {d['moderate']} deals or {r['moderate']} reps, or when the interval includes zero; "
            f"*moderate* with an interval excluding zero; *strong* with at least {d['strong']} deals and "
            f"{r['strong']} reps per arm, an interval at most {STRONG_MAX_WIDTH_PP:.0f} points wide and an "
            f"estimate {STRONG_MIN_HALF_WIDTHS} half-widths from zero.")


def _signed(x: float) -> str:
    """Whole points, or one decimal where rounding would hide the sign ("-0.3")."""
    text = f"{x:+.0f}" if abs(x) >= 0.5 else f"{x:+.1f}"
    return "0" if text in ("+0.0", "-0.0") else text


def _int(x) -> int:
    return 0 if missing(x) else int(x)
