"""The Win-rate impact page's questions: which deals the lifts use, the lift table, win rate over time, strata.

Every sidebar filter reaches the lift model as bound parameters (analytics.views.lift.lift_arguments): the date
range applies to the deals' close dates (ending no later than `as_of`), and the selected segments, teams, regions
and managers and a manager's own team keep only those deals. A filter only decides which closed deals enter: a team
filter restricts BOTH the adopted deals and the control deals the adjusted model is fitted on to that team's reps
(`scope_caption` says so on the page). The lifts themselves: analytics.views.lift.message_impact. The event study
(lift by months before and after certification, and the pre-trend test) comes from the robust estimator
(analytics.estimators.robust_lift), run on the same deals.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from analytics.filters import Filters
from analytics.estimators.lift import N_BOOT
from analytics.estimators.robust_lift import PRETREND_ALPHA, RobustImputationLift
from analytics.metrics.missing import missing
from analytics.results import stored
from analytics.views import lift

ABILITY_GAP = 0.05             # a share of high-ability deals this much larger among adopted deals is worth saying
REP_SCOPE_NOTE = ("The team, region, manager and rep filters restrict both the adopted deals and the control deals the "
                  "adjusted model is fitted on to those reps: each lift compares their certified deals with their "
                  "own other deals, not with the rest of the company.")
EVENT_COLUMNS = ["kind", "months", "start", "lift_pp", "ci_low_pp", "ci_high_pp", "deals"]
STRATA = {"segment": "Segment", "ability_band": "Rep ability (pre-launch win rate)"}
TABLE_COLUMNS = ["message_name", "launch_date", "target_segment", "closed_deals_adopted", "closed_deals_not_adopted",
                 "reps_adopted", "reps_not_adopted", "win_rate_adopted", "win_rate_not_adopted", "naive_lift_pp",
                 "naive_ci_low_pp", "naive_ci_high_pp", "adjusted_lift_pp", "ci_low_pp", "ci_high_pp",
                 "adjusted_deals", "evidence", "summary", "method"]


def scope_caption(filters: Filters, as_of: date) -> str:
    """Which deals the lifts use, and that a team, region, manager or rep scope also narrows the control deals."""
    text = (f"Deals closed from {filters.start:%d %b %Y} to {as_of:%d %b %Y}" if filters.start
            else f"Deals closed up to {as_of:%d %b %Y}")
    chosen = [f"{label}: {', '.join(values)}" for label, values in (
        ("segments", filters.segments), ("teams", filters.teams), ("regions", filters.regions),
        ("managers", filters.managers)) if values]
    if filters.rep_ids is not None:
        chosen.append("your own team's reps")
    text += (" (" + "; ".join(chosen) + ")." if chosen else ".")
    if filters.teams or filters.regions or filters.managers or filters.rep_ids is not None:
        text += (" " + REP_SCOPE_NOTE)
    return text


def lift_table(lifts: pd.DataFrame) -> pd.DataFrame:
    """The lift rows with the columns shown on the page and downloaded."""
    return lifts[TABLE_COLUMNS].assign(launch_date=pd.to_datetime(lifts["launch_date"]).dt.date)


def win_rate_trend(con, message_id: str, filters: Filters = Filters(), as_of: date | None = None,
                   freq: str = "month") -> pd.DataFrame:
    """Monthly win rate of the message's deals before launch and, after it, by adoption (lift.win_rate_over_time)."""
    return lift.win_rate_over_time(con, message_id, freq, **lift.lift_arguments(filters, as_of))


def strata(con, message_id: str, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Win rates of adopted and other in-scope deals within segments and within rep-ability bands."""
    return lift.strata(con, message_id, tuple(STRATA), **lift.lift_arguments(filters, as_of))


def why_naive_differs(strata_frame: pd.DataFrame, naive_lift_pp: float) -> str | None:
    """One sentence on what the ability strata show: are adopted deals concentrated among reps who already won more?"""
    bands = strata_frame[(strata_frame["by"] == "ability_band") & (strata_frame["stratum"] != "unknown")]
    high = bands[bands["stratum"] == "high"]
    if high.empty or missing(naive_lift_pp):
        return None
    adopted, other = float(high["share_of_adopted"].iloc[0]), float(high["share_of_not_adopted"].iloc[0])
    if missing(adopted) or missing(other):
        return None
    within = bands["lift_pp"].dropna()
    spread = (f" Within ability bands the gap is {within.min():+.1f} to {within.max():+.1f} points, against "
              f"{naive_lift_pp:+.1f} overall." if len(within) else "")
    if adopted - other >= ABILITY_GAP:
        return (f"{adopted:.0%} of adopted deals belong to the top third of reps by pre-launch win rate, against "
                f"{other:.0%} of the other deals: reps who already won more certified first, and the naive "
                f"comparison credits their ability to the message.{spread}")
    if other - adopted >= ABILITY_GAP:
        return (f"Only {adopted:.0%} of adopted deals belong to the top third of reps by pre-launch win rate, against "
                f"{other:.0%} of the other deals: the naive comparison understates the message.{spread}")
    return (f"Adopted and other deals come from similarly able reps ({adopted:.0%} and {other:.0%} from the top third "
            f"by pre-launch win rate); the adjusted estimate also corrects for the time trend and deal mix.{spread}")


def _event_study_key(con, arguments: dict) -> dict:
    """event_study's arguments with the close dates replaced by the deals they admit, as message_lift's key; the
    message filter is left out (the study fits every message's deals whatever it selects)."""
    a = arguments
    params = lift._params(**lift.lift_arguments(a["filters"], a["as_of"]))
    window = lift.deal_window(con, params.pop("as_of"), params.pop("date_from"), params.pop("date_to"))
    return {"message_id": a["message_id"], **params, **window, "n_boot": a["n_boot"]}


@stored(key=_event_study_key)
def event_study(con, message_id: str, filters: Filters = Filters(), as_of: date | None = None,
                n_boot: int = N_BOOT) -> dict:
    """The message's lift by months before (`lead`) and after (`lag`) its reps' certification, with rep-bootstrap
    intervals and the pre-trend test, from the robust estimator on the deals the filters keep (the same fit as
    `message_lift(..., estimator="robust_imputation")`, for this message only): {"rows": frame of EVENT_COLUMNS,
    "pretrend_p", "evidence", "joint_with"}; rows are empty when the message has no estimate."""
    messages = lift._messages(con)
    ids = list(messages["message_id"])
    empty = {"rows": pd.DataFrame(columns=EVENT_COLUMNS), "pretrend_p": None, "evidence": None, "joint_with": ""}
    if message_id not in ids:
        return empty
    params = lift._params(**lift.lift_arguments(filters, as_of))
    deals = lift.fetch(con, "queries/robust_lift_deals", params)
    pairs = lift.fetch(con, "queries/robust_lift_pairs", {**params, "message_id": None, "message_ids": ids})
    launches = dict(zip(messages["message_id"], messages["launch_date"]))
    fitted = RobustImputationLift(n_boot=n_boot).fit(deals, pairs, ids, launches, only=[message_id])
    r = fitted.tidy().set_index("message_id").loc[message_id]
    rows = pd.DataFrame(r["event_study"], columns=EVENT_COLUMNS)
    for col in ("lift_pp", "ci_low_pp", "ci_high_pp"):
        rows[col] = pd.to_numeric(rows[col], errors="coerce").astype(float)
    p = None if missing(r["pretrend_p"]) else float(r["pretrend_p"])
    joint = r["joint_with"] if isinstance(r["joint_with"], list) else []
    return {"rows": rows, "pretrend_p": p, "evidence": r["evidence"], "joint_with": ", ".join(joint)}


def pretrend_words(pretrend_p: float | None) -> str:
    """The pre-trend test in plain words: were the deals of reps who later certified already moving before it?"""
    if pretrend_p is None or missing(pretrend_p):
        return ("Too few deals in the months before certification to check whether certified reps' deals were "
                "already moving before they certified.")
    if pretrend_p < PRETREND_ALPHA:
        return (f"Warning: in the months before certification, the deals of reps who later certified were already "
                f"moving apart from the others (pre-trend test p = {pretrend_p:.3f}). Part of the lift may be a trend "
                "that was there anyway, so the robust estimate's evidence is lowered.")
    return (f"Before certification, the deals of reps who later certified were not moving apart from the others "
            f"(pre-trend test p = {pretrend_p:.2f}): the months before certification look flat, as the comparison "
            "assumes.")
