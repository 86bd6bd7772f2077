"""Win-rate impact figures: the forest plot of naive vs adjusted lift, win rate over time around the launch, and the
event study (lift by months before and after certification)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.figures.style import (INK, LAYOUT, OTHER_COLOR, VERDICT_COLORS, interval_bars, plain,
                                     plain_all)
from analytics.metrics.evidence import VERDICT_LABELS, verdict
from analytics.metrics.missing import missing

NAIVE_COLOR = "#7f7f7f"
GROUP_COLORS = {"before launch": OTHER_COLOR, "not adopted": "#4c78a8", "adopted": "#e45756"}
MIN_PERIOD_DEALS = 10          # months with fewer closed deals in a group are left off the chart (too noisy)
BEFORE_SHADE = "rgba(160, 160, 160, 0.15)"


def forest_plot(lifts: pd.DataFrame) -> go.Figure:
    """Naive and adjusted lift per message with 95 % intervals, zero marked; the adjusted dot's colour is the verdict
    (red lowers win rates, blue raises them, grey uncertain: analytics.metrics.evidence.verdict)."""
    names = list(lifts["message_name"])
    verdicts = [verdict(r.adjusted_lift_pp, r.ci_low_pp, r.ci_high_pp, r.evidence) for r in lifts.itertuples()]
    shown = plain_all(names)
    y = np.arange(len(names), dtype=float)
    fig = go.Figure()
    fig.add_trace(go.Scatter(
        x=lifts["naive_lift_pp"], y=y + 0.15, mode="markers", name="Naive (adopted minus other deals)",
        marker=dict(symbol="diamond-open", size=11, color=NAIVE_COLOR, line=dict(width=2)),
        error_x=interval_bars(lifts["naive_lift_pp"], lifts["naive_ci_low_pp"], lifts["naive_ci_high_pp"],
                              NAIVE_COLOR),
        customdata=np.column_stack([shown, lifts["naive_ci_low_pp"], lifts["naive_ci_high_pp"]]),
        hovertemplate="%{customdata[0]}<br>naive %{x:+.1f} pp (95% CI %{customdata[1]:+.1f} to "
                      "%{customdata[2]:+.1f})<extra></extra>"))
    fig.add_trace(go.Scatter(
        x=lifts["adjusted_lift_pp"], y=y - 0.15, mode="markers", name="Adjusted (comparable deals)",
        marker=dict(symbol="circle", size=13, color=[VERDICT_COLORS[v] for v in verdicts],
                    line=dict(color=INK, width=1)),
        error_x=interval_bars(lifts["adjusted_lift_pp"], lifts["ci_low_pp"], lifts["ci_high_pp"], "#666666"),
        customdata=np.column_stack([shown, lifts["ci_low_pp"], lifts["ci_high_pp"], lifts["evidence"],
                                    [VERDICT_LABELS[v] for v in verdicts]]),
        hovertemplate="%{customdata[0]}<br>adjusted %{x:+.1f} pp (95% CI %{customdata[1]:+.1f} to "
                      "%{customdata[2]:+.1f}), evidence: %{customdata[3]}<br>%{customdata[4]}<extra></extra>"))
    for v in ("harmful", "helpful", "uncertain"):       # legend entries for the verdict colours
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=f"Adjusted: {VERDICT_LABELS[v].lower()}",
                                 marker=dict(symbol="circle", size=11, color=VERDICT_COLORS[v]), hoverinfo="skip"))
    fig.add_vline(x=0, line=dict(color="grey", dash="dot"))
    fig.update_layout(title="Win-rate lift per message: naive vs adjusted (bars: 95% intervals)", **LAYOUT,
                      height=max(320, 140 + 70 * len(names)))
    fig.update_xaxes(title_text="Win-rate lift (percentage points)", zeroline=False)
    fig.update_yaxes(title_text="Message", tickvals=y, ticktext=shown, autorange="reversed",
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
    if launch_date is not None and not missing(launch_date):
        launch = pd.Timestamp(launch_date)
        fig.add_vline(x=launch, line=dict(color=INK, width=1, dash="dash"))
        fig.add_annotation(x=launch, y=1, yref="paper", text=f"launch {launch:%d %b %Y}", showarrow=False,
                           xanchor="left", yanchor="top", font=dict(size=11))
    fig.update_layout(title=f"{plain(message_name)}: win rate of in-scope deals by month", **LAYOUT)
    fig.update_xaxes(title_text="Close month")
    fig.update_yaxes(title_text="Win rate (% of closed deals won)", tickformat=".0%", rangemode="tozero")
    return fig


def event_study_plot(rows: pd.DataFrame, message_name: str) -> go.Figure:
    """Lift by months relative to certification (rows of analytics.views.impact.event_study): months before it on a
    shaded band, zero marked, each point coloured blue (raises win rates), red (lowers them) or grey (its 95 %
    interval includes zero); before certification every point should sit near zero."""
    rows = rows.reset_index(drop=True)
    x = np.arange(len(rows), dtype=float)
    before = (rows["kind"] == "lead").to_numpy()
    colors = [VERDICT_COLORS[_direction(r.ci_low_pp, r.ci_high_pp)] for r in rows.itertuples()]
    labels = [f"{m} (before)" if lead else m for m, lead in zip(rows["months"].astype(str), before)]
    fig = go.Figure()
    for lead, name, symbol in ((True, "Before certification (should be near zero)", "circle-open"),
                               (False, "After certification: the lift", "circle")):
        pick = before == lead
        if not pick.any():
            continue
        part = rows[pick]
        fig.add_trace(go.Scatter(
            x=x[pick], y=part["lift_pp"], mode="markers", name=name,
            marker=dict(symbol=symbol, size=12, color=[c for c, k in zip(colors, pick) if k],
                        line=dict(width=2, color=[c for c, k in zip(colors, pick) if k])),
            error_y=interval_bars(part["lift_pp"], part["ci_low_pp"], part["ci_high_pp"], "#666666"),
            customdata=np.column_stack([[labels[i] for i in np.flatnonzero(pick)], part["ci_low_pp"],
                                        part["ci_high_pp"], part["deals"]]),
            hovertemplate="months %{customdata[0]}: %{y:+.1f} pp (95% CI %{customdata[1]:+.1f} to "
                          "%{customdata[2]:+.1f}; %{customdata[3]} deals)<extra></extra>"))
    for v in ("harmful", "helpful", "uncertain"):       # legend entries for the colours
        fig.add_trace(go.Scatter(x=[None], y=[None], mode="markers", name=VERDICT_LABELS[v],
                                 marker=dict(symbol="circle", size=11, color=VERDICT_COLORS[v]), hoverinfo="skip"))
    if before.any():
        edge = float(np.flatnonzero(before).max()) + 0.5
        fig.add_vrect(x0=-0.5, x1=edge, fillcolor=BEFORE_SHADE, line_width=0, layer="below")
        fig.add_vline(x=edge, line=dict(color=INK, width=1, dash="dash"))
        fig.add_annotation(x=edge, y=1, yref="paper", text="certified", showarrow=False, xanchor="left",
                           yanchor="top", font=dict(size=11))
        fig.add_annotation(x=-0.5, y=1, yref="paper", text="before certification", showarrow=False,
                           xanchor="left", yanchor="top", font=dict(size=11))
    fig.add_hline(y=0, line=dict(color="grey", dash="dot"))
    fig.update_layout(title=f"{plain(message_name)}: lift by months before and after certification", **LAYOUT)
    fig.update_xaxes(title_text="Months relative to the rep's certification", tickvals=x, ticktext=labels,
                     range=[-0.6, len(rows) - 0.4])
    fig.update_yaxes(title_text="Win-rate lift (percentage points)", zeroline=False)
    return fig


def _direction(low, high) -> str:
    """The verdict colour of one interval: helpful above zero, harmful below, uncertain across it or missing."""
    if missing(low) or missing(high):
        return "uncertain"
    return "helpful" if low > 0 else "harmful" if high < 0 else "uncertain"
