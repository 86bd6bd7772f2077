"""Field feedback figures: ratings over time, outcome mix, negative share, reception vs effect, volume by team."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from analytics.figures.style import INK, LAYOUT, OTHER_COLOR, OUTCOME_COLORS, plain, plain_all
from analytics.metrics.reception import NEGATIVE_RATING, NEUTRAL_RATING


def rating_trend(frame: pd.DataFrame, colors: Mapping[str, str]) -> go.Figure:
    """Mean rating per message and period with 95 % intervals as error bars; counts in the hover."""
    fig = go.Figure()
    for name, g in frame.groupby("message_name", sort=False):
        fig.add_trace(go.Scatter(
            x=pd.to_datetime(g["period"]), y=g["mean_rating"], mode="lines+markers", name=plain(name),
            line=dict(color=colors.get(name, OTHER_COLOR)),
            error_y=dict(type="data", symmetric=False, array=(g["ci_high"] - g["mean_rating"]).fillna(0),
                         arrayminus=(g["mean_rating"] - g["ci_low"]).fillna(0), thickness=1),
            customdata=g[["n_rated", "ci_low", "ci_high", "share_negative"]].to_numpy(),
            hovertemplate=("%{x|%b %Y}: mean %{y:.2f} (95% CI %{customdata[1]:.2f} to %{customdata[2]:.2f}), "
                           "%{customdata[0]} ratings, %{customdata[3]:.0%} negative<extra>" + plain(name)
                           + "</extra>")))
    fig.add_hline(y=NEUTRAL_RATING, line=dict(color="grey", dash="dot"),
                  annotation_text=f"neutral ({NEUTRAL_RATING:.0f})")
    fig.update_layout(title="Field rating over time (bars: 95% interval of the mean)", **LAYOUT)
    fig.update_xaxes(title_text="Month")
    fig.update_yaxes(title_text="Mean rating (1-5 scale)", range=[1, 5.1])
    return fig


def outcome_mix(frame: pd.DataFrame) -> go.Figure:
    """Share of each message's feedback entries by reported outcome (stacked to 100 %)."""
    fig = go.Figure()
    messages = list(dict.fromkeys(frame["message_name"]))
    outcomes = list(dict.fromkeys([o for o in OUTCOME_COLORS if o in set(frame["outcome"])]
                                  + sorted(set(frame["outcome"]) - set(OUTCOME_COLORS))))
    for outcome in outcomes:
        g = frame[frame["outcome"] == outcome].set_index("message_name").reindex(messages)
        fig.add_trace(go.Bar(y=plain_all(messages), x=g["share"], name=plain(outcome), orientation="h",
                             marker_color=OUTCOME_COLORS.get(outcome, OTHER_COLOR), customdata=g["n_feedback"],
                             hovertemplate="%{y}: %{x:.0%} (%{customdata} entries)<extra>" + plain(outcome)
                                           + "</extra>"))
    fig.update_layout(title="Outcome reported with the feedback", barmode="stack",
                      **{**LAYOUT, "legend_title_text": "Outcome"})
    fig.update_xaxes(title_text="Feedback entries (% of the message's entries)", tickformat=".0%", range=[0, 1])
    fig.update_yaxes(title_text="Message", autorange="reversed")
    return fig


def negative_share(reception: pd.DataFrame, colors: Mapping[str, str]) -> go.Figure:
    """Share of rated feedback that is negative (rating <= NEGATIVE_RATING) per message, with counts."""
    fig = go.Figure(go.Bar(
        x=plain_all(reception["message_name"]), y=reception["share_negative"],
        marker_color=[colors.get(n, OTHER_COLOR) for n in reception["message_name"]],
        text=[f"{s:.0%}" if pd.notna(s) else "" for s in reception["share_negative"]], textposition="outside",
        customdata=reception[["n_negative", "n_rated"]].to_numpy(),
        hovertemplate="%{x}: %{y:.0%} negative (%{customdata[0]} of %{customdata[1]} ratings)<extra></extra>"))
    fig.update_layout(title=f"Negative feedback (rating 1-{NEGATIVE_RATING:.0f})", showlegend=False, **LAYOUT)
    fig.update_xaxes(title_text="Message")
    fig.update_yaxes(title_text="Rated entries that are negative (%)", tickformat=".0%", rangemode="tozero")
    return fig


def reception_vs_effect(frame: pd.DataFrame, colors: Mapping[str, str]) -> go.Figure:
    """Field rating (x) against adjusted win-rate lift (y) per message, both with 95 % intervals."""
    fig = go.Figure()
    for r in frame.itertuples():
        color = colors.get(r.message_name, OTHER_COLOR)
        lift = r.adjusted_lift_pp if pd.notna(r.adjusted_lift_pp) else None
        fig.add_trace(go.Scatter(
            x=[r.mean_rating], y=[lift if lift is not None else 0.0], mode="markers+text", name=plain(r.message_name),
            text=[plain(r.message_name)], textposition="top center",
            marker=dict(size=14 if not r.is_weakest else 20, color=color,
                        symbol="circle" if lift is not None else "circle-open",
                        line=dict(color=INK, width=2 if r.is_weakest else 0)),
            error_x=dict(type="data", symmetric=False, array=[_gap(r.ci_high, r.mean_rating)],
                         arrayminus=[_gap(r.mean_rating, r.ci_low)]),
            error_y=dict(type="data", symmetric=False, array=[_gap(r.ci_high_pp, lift)],
                         arrayminus=[_gap(lift, r.ci_low_pp)]),
            hovertemplate=(f"{plain(r.message_name)}<br>rating %{{x:.2f}} ({r.n_rated} ratings)<br>"
                           + (f"adjusted lift {lift:+.1f} pp, evidence: {r.evidence}" if lift is not None
                              else "adjusted lift: not enough data") + "<extra></extra>")))
    fig.add_vline(x=NEUTRAL_RATING, line=dict(color="grey", dash="dot"))
    fig.add_hline(y=0, line=dict(color="grey", dash="dot"))
    fig.update_layout(title="Reception vs effect (bars: 95% intervals)", **LAYOUT, showlegend=False)
    fig.update_xaxes(title_text="Mean field rating (1-5 scale)", range=[1, 5])
    fig.update_yaxes(title_text="Adjusted win-rate lift (percentage points)")
    return fig


def feedback_volume(frame: pd.DataFrame) -> go.Figure:
    """Feedback entries per rep by team; quiet teams (far below the median team) in orange."""
    shown = frame[~frame["is_suppressed"]]
    fig = go.Figure(go.Bar(
        x=plain_all(shown["team"]), y=shown["feedback_per_rep"],
        marker_color=["#d95f02" if q else "#4c78a8" for q in shown["is_quiet"]],
        text=[f"{v:.1f}" for v in shown["feedback_per_rep"]], textposition="outside",
        customdata=shown[["n_feedback", "n_reps", "n_reps_sending"]].to_numpy(),
        hovertemplate=("%{x}: %{y:.2f} entries per rep (%{customdata[0]:.0f} entries, %{customdata[2]:.0f} of "
                       "%{customdata[1]} reps sending)<extra></extra>")))
    fig.update_layout(title="Feedback volume by team (orange: sends far less than the median team)",
                      showlegend=False, **LAYOUT)
    fig.update_xaxes(title_text="Team")
    fig.update_yaxes(title_text="Feedback entries per rep (entries)", rangemode="tozero")
    return fig


def _gap(high, low) -> float:
    return 0.0 if high is None or low is None or pd.isna(high) or pd.isna(low) else float(high) - float(low)
