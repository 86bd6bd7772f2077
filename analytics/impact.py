"""Win-rate impact: lifts, win rate over time and strata under the sidebar filters, and their figures.

Every sidebar filter reaches the lift model as bound parameters: the date range applies to the deals' close dates
(ending no later than `as_of`), and the selected segments, teams, regions and managers and a manager's own team keep
only those deals. A filter only decides which closed deals enter: a team filter restricts BOTH the adopted deals and
the control deals the adjusted model is fitted on to that team's reps (`scope_caption` says so on the page).
Every figure here comes from analytics.lift: this module only picks the filters and draws.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics import lift, overview
from analytics.charts import LAYOUT, OTHER_COLOR
from analytics.filters import Filters

NAIVE_COLOR = "#7f7f7f"
GROUP_COLORS = {"before launch": "#bbbbbb", "not adopted": "#4c78a8", "adopted": "#e45756"}
MIN_PERIOD_DEALS = 10          # months with fewer closed deals in a group are left off the chart (too noisy)
ABILITY_GAP = 0.05             # a share of high-ability deals this much larger among adopted deals is worth saying
REP_SCOPE_NOTE = ("The team, region, manager and rep filters restrict both the adopted deals and the control deals the "
                  "adjusted model is fitted on to those reps: each lift compares their certified deals with their "
                  "own other deals, not with the rest of the company.")
STRATA = {"segment": "Segment", "ability_band": "Rep ability (pre-launch win rate)"}
TABLE_COLUMNS = ["message_name", "launch_date", "target_segment", "closed_deals_adopted", "closed_deals_not_adopted",
                 "reps_adopted", "reps_not_adopted", "win_rate_adopted", "win_rate_not_adopted", "naive_lift_pp",
                 "naive_ci_low_pp", "naive_ci_high_pp", "adjusted_lift_pp", "ci_low_pp", "ci_high_pp",
                 "adjusted_deals", "evidence", "summary", "method"]


def lift_arguments(filters: Filters = Filters(), as_of: date | None = None) -> dict:
    """analytics.lift's keyword filters for the sidebar's: close dates in the range up to as_of, and every list."""
    return {"as_of": as_of, **overview.lift_filters(filters)[0]}


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


def message_impact(con, filters: Filters = Filters(), as_of: date | None = None,
                   n_boot: int = lift.N_BOOT) -> pd.DataFrame:
    """Naive and adjusted lift per message (analytics.lift.message_lift) under the filters, in launch order."""
    out = lift.message_lift(con, n_boot=n_boot, **lift_arguments(filters, as_of))
    if filters.messages:
        out = out[out["message_id"].isin(filters.messages)]
    return out.reset_index(drop=True)


def lift_table(lifts: pd.DataFrame) -> pd.DataFrame:
    """The lift rows with the columns shown on the page and downloaded."""
    return lifts[TABLE_COLUMNS].assign(launch_date=pd.to_datetime(lifts["launch_date"]).dt.date)


def win_rate_trend(con, message_id: str, filters: Filters = Filters(), as_of: date | None = None,
                   freq: str = "month") -> pd.DataFrame:
    """Monthly win rate of the message's deals before launch and, after it, by adoption (lift.win_rate_over_time)."""
    return lift.win_rate_over_time(con, message_id, freq, **lift_arguments(filters, as_of))


def strata(con, message_id: str, filters: Filters = Filters(), as_of: date | None = None) -> pd.DataFrame:
    """Win rates of adopted and other in-scope deals within segments and within rep-ability bands."""
    return lift.strata(con, message_id, tuple(STRATA), **lift_arguments(filters, as_of))


def why_naive_differs(strata_frame: pd.DataFrame, naive_lift_pp: float) -> str | None:
    """One sentence on what the ability strata show: are adopted deals concentrated among reps who already won more?"""
    bands = strata_frame[(strata_frame["by"] == "ability_band") & (strata_frame["stratum"] != "unknown")]
    high = bands[bands["stratum"] == "high"]
    if high.empty or _missing(naive_lift_pp):
        return None
    adopted, other = float(high["share_of_adopted"].iloc[0]), float(high["share_of_not_adopted"].iloc[0])
    if _missing(adopted) or _missing(other):
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


def evidence_note() -> str:
    """The evidence tiers in words, from the thresholds in analytics.lift."""
    d, r = lift.MIN_DEALS, lift.MIN_REPS
    return (f"Evidence: *insufficient* below {d['directional']} deals or {r['directional']} reps in either arm; "
            f"*directional* below {d['moderate']} deals or {r['moderate']} reps, or when the interval includes zero; "
            f"*moderate* with an interval excluding zero; *strong* with at least {d['strong']} deals and "
            f"{r['strong']} reps per arm, an interval at most {lift.STRONG_MAX_WIDTH_PP:.0f} points wide and an "
            f"estimate {lift.STRONG_MIN_HALF_WIDTHS} half-widths from zero.")


# ------------------------------------------------------------------------------------------ figures

def forest_plot(lifts: pd.DataFrame, colors: dict[str, str]) -> go.Figure:
    """Naive and adjusted lift per message with 95 % intervals, one row per message, zero marked."""
    names = list(lifts["message_name"])
    y = np.arange(len(names), dtype=float)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=lifts["naive_lift_pp"], y=y + 0.15, mode="markers", name="Naive (adopted minus other deals)",
        marker=dict(symbol="diamond-open", size=11, color=NAIVE_COLOR, line=dict(width=2)),
        error_x=_interval(lifts["naive_lift_pp"], lifts["naive_ci_low_pp"], lifts["naive_ci_high_pp"], NAIVE_COLOR),
        customdata=np.column_stack([names, lifts["naive_ci_low_pp"], lifts["naive_ci_high_pp"]]),
        hovertemplate="%{customdata[0]}<br>naive %{x:+.1f} pp (95% CI %{customdata[1]:+.1f} to "
                      "%{customdata[2]:+.1f})<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=lifts["adjusted_lift_pp"], y=y - 0.15, mode="markers", name="Adjusted (comparable deals)",
        marker=dict(symbol="circle", size=13, color=[colors.get(n, OTHER_COLOR) for n in names],
                    line=dict(color="black", width=1)),
        error_x=_interval(lifts["adjusted_lift_pp"], lifts["ci_low_pp"], lifts["ci_high_pp"], "black"),
        customdata=np.column_stack([names, lifts["ci_low_pp"], lifts["ci_high_pp"], lifts["evidence"]]),
        hovertemplate="%{customdata[0]}<br>adjusted %{x:+.1f} pp (95% CI %{customdata[1]:+.1f} to "
                      "%{customdata[2]:+.1f}), evidence: %{customdata[3]}<extra></extra>"))
    fig.add_vline(x=0, line=dict(color="grey", dash="dot"))
    fig.update_layout(title="Win-rate lift per message: naive vs adjusted (bars: 95% intervals)", **LAYOUT,
                      height=max(320, 140 + 70 * len(names)))
    fig.update_xaxes(title_text="Win-rate lift (percentage points)", zeroline=False)
    fig.update_yaxes(title_text="Message", tickvals=y, ticktext=names, autorange="reversed",
                     range=[len(names) - 0.5, -0.5])
    return fig


def win_rate_chart(trend: pd.DataFrame, message_name: str, launch_date) -> go.Figure:
    """Monthly win rate of in-scope deals by certified reps vs the others, the months before launch, launch marked."""
    fig = go.Figure()
    shown = trend[trend["deals"] >= MIN_PERIOD_DEALS]
    for group in ("before launch", "not adopted", "adopted"):
        g = shown[shown["group"] == group]
        if g.empty:
            continue
        label = {"adopted": "Adopted (owner certified)", "not adopted": "Not adopted",
                 "before launch": "Before launch"}[group]
        fig.add_trace(go.Scatter(
            x=pd.to_datetime(g["period"]), y=g["win_rate"], mode="lines+markers", name=label,
            line=dict(color=GROUP_COLORS[group], width=2.5 if group == "adopted" else 2,
                      dash="dot" if group == "before launch" else "solid"),
            customdata=g[["won", "deals"]].to_numpy(),
            hovertemplate="%{x|%b %Y}: %{y:.0%} won (%{customdata[0]} of %{customdata[1]} closed deals)"
                          "<extra>" + label + "</extra>"))
    if launch_date is not None and not _missing(launch_date):
        launch = pd.Timestamp(launch_date)
        fig.add_vline(x=launch, line=dict(color="black", width=1, dash="dash"))
        fig.add_annotation(x=launch, y=1, yref="paper", text=f"launch {launch:%d %b %Y}", showarrow=False,
                           xanchor="left", yanchor="top", font=dict(size=11))
    fig.update_layout(title=f"{message_name}: win rate of in-scope deals by month", **LAYOUT)
    fig.update_xaxes(title_text="Close month")
    fig.update_yaxes(title_text="Win rate (% of closed deals won)", tickformat=".0%", rangemode="tozero")
    return fig


def _interval(center: pd.Series, low: pd.Series, high: pd.Series, color: str) -> dict:
    c, lo, hi = (pd.to_numeric(s, errors="coerce").astype(float) for s in (center, low, high))
    return dict(type="data", symmetric=False, array=(hi - c).fillna(0).to_numpy(),
                arrayminus=(c - lo).fillna(0).to_numpy(), color=color, thickness=1.5, width=4)


def _missing(x) -> bool:
    return x is None or (not isinstance(x, str) and bool(pd.isna(x)))
