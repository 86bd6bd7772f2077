"""Plotly figure builders: a DataFrame in, a labeled Figure out, one color per message on every page.

Colors: `message_colors(names)` assigns the palette in the launch plan's order (pass every message name, not a
filtered list), so a message keeps its color whichever filters or pages show it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import pandas as pd
import plotly.graph_objects as go
from plotly.colors import qualitative

PALETTE = qualitative.Safe          # colorblind-safe
OTHER_COLOR = "#888888"
OUTCOME_COLORS = {"Positive": "#1b9e77", "Neutral": "#a6a6a6", "Objection": "#d95f02", "Lost interest": "#7570b3",
                  "(none)": "#dddddd"}
LAYOUT = dict(template="plotly_white", margin=dict(l=10, r=10, t=50, b=10), legend_title_text=None,
              legend=dict(orientation="h", yanchor="top", y=-0.2, xanchor="left", x=0),
              hoverlabel=dict(namelength=-1))


def message_colors(names: Iterable[str]) -> dict[str, str]:
    """Message name -> color, in the given (launch plan) order; the palette repeats past its length."""
    return {name: PALETTE[i % len(PALETTE)] for i, name in enumerate(dict.fromkeys(names))}


def adoption_trend(curve: pd.DataFrame, plan: pd.DataFrame, colors: Mapping[str, str]) -> go.Figure:
    """Cumulative share of in-scope reps certified by week, with launch dates and each message's plan path."""
    fig = go.Figure()
    end = pd.to_datetime(curve["week_start"]).max() if len(curve) else None
    for name, g in curve.groupby("message_name", sort=False):
        color = colors.get(name, OTHER_COLOR)
        fig.add_trace(go.Scatter(
            x=pd.to_datetime(g["week_start"]), y=g["certified_share"], mode="lines", name=name, legendgroup=name,
            line=dict(color=color, width=2.5),
            customdata=g[["reps_certified", "reps_in_scope", "weeks_since_launch"]].to_numpy(),
            hovertemplate=("%{x|%d %b %Y} (week %{customdata[2]})<br>%{y:.0%} certified "
                           "(%{customdata[0]} of %{customdata[1]} reps in scope)<extra>" + name + "</extra>")))
    shown = set(curve["message_name"])
    for r in plan[plan["message_name"].isin(shown)].itertuples():
        color = colors.get(r.message_name, OTHER_COLOR)
        launch = pd.Timestamp(r.launch_date)
        fig.add_vline(x=launch, line=dict(color=color, width=1, dash="dot"))
        fig.add_annotation(x=launch, y=1.02, yref="y", text=f"launch: {r.message_name}", showarrow=False,
                           textangle=-90, xanchor="right", yanchor="top", font=dict(size=10, color=color))
        if pd.isna(r.adoption_target):
            continue
        target_day = pd.Timestamp(r.target_date) if pd.notna(r.target_date) else launch
        xs, ys = [launch, target_day], [0.0, float(r.adoption_target)]
        if end is not None and end > target_day:
            xs.append(end)
            ys.append(float(r.adoption_target))
        fig.add_trace(go.Scatter(
            x=xs, y=ys, mode="lines", line=dict(color=color, width=1.5, dash="dash"), opacity=0.6,
            name=f"{r.message_name} plan", legendgroup=r.message_name, showlegend=False,
            hovertemplate="plan: %{y:.0%} by %{x|%d %b %Y}<extra>" + r.message_name + "</extra>"))
        fig.add_trace(go.Scatter(
            x=[target_day], y=[float(r.adoption_target)], mode="markers", legendgroup=r.message_name,
            marker=dict(symbol="star", size=13, color=color, line=dict(color="black", width=1)),
            name=f"{r.message_name} target", showlegend=False,
            hovertemplate="target %{y:.0%} by %{x|%d %b %Y}<extra>" + r.message_name + "</extra>"))
    fig.update_layout(title="Adoption since launch (dashed: plan; star: adoption target and date)", **LAYOUT)
    fig.update_xaxes(title_text="Week (date)")
    fig.update_yaxes(title_text="Reps in scope certified (%)", tickformat=".0%", range=[0, 1.05])
    return fig


def funnel(frame: pd.DataFrame, colors: Mapping[str, str]) -> go.Figure:
    """Share of in-scope reps at each certification stage, one bar per message, counts on the bars."""
    fig = go.Figure()
    for name, g in frame.groupby("message_name", sort=False):
        fig.add_trace(go.Bar(x=g["stage"], y=g["share_of_scope"], name=name, marker_color=colors.get(name, OTHER_COLOR),
                             text=g["reps"].map(lambda n: f"{n:,}"), textposition="outside",
                             hovertemplate="%{x}: %{text} reps (%{y:.0%} of reps in scope)<extra>" + name + "</extra>"))
    fig.update_layout(title="Certification funnel", barmode="group", **LAYOUT)
    fig.update_xaxes(title_text="Stage")
    fig.update_yaxes(title_text="Reps (% of reps in scope)", tickformat=".0%", range=[0, 1.15])
    return fig


def time_to_certify(frame: pd.DataFrame, colors: Mapping[str, str]) -> go.Figure:
    """Distribution of days from launch to certification per message (box: quartiles, whiskers, outliers)."""
    fig = go.Figure()
    for name, g in frame.groupby("message_name", sort=False):
        fig.add_trace(go.Box(x=g["days_to_certify"], name=name, marker_color=colors.get(name, OTHER_COLOR),
                             boxpoints="outliers", orientation="h",
                             hovertemplate="%{x} days<extra>" + name + "</extra>"))
    fig.update_layout(title="Time to certify", showlegend=False, **LAYOUT)
    fig.update_xaxes(title_text="Days from launch to certification (days)", rangemode="tozero")
    fig.update_yaxes(title_text="Message", autorange="reversed")
    return fig


def certification_heatmap(frame: pd.DataFrame, by: str) -> go.Figure:
    """Certification rate per group x message; suppressed (small) groups shown blank with a note."""
    groups = sorted(frame[by].fillna("(none)").unique())
    messages = list(dict.fromkeys(frame["message_name"]))
    cells = frame.assign(group=frame[by].fillna("(none)")).set_index(["group", "message_name"])
    z, text = [], []
    for g in groups:
        z_row, t_row = [], []
        for m in messages:
            if (g, m) not in cells.index:
                z_row.append(None)
                t_row.append("")
                continue
            c = cells.loc[(g, m)]
            if bool(c["is_suppressed"]):
                z_row.append(None)
                t_row.append(f"n={int(c['reps_in_scope'])}: hidden")
            else:
                rate = c["certification_rate"]
                z_row.append(None if pd.isna(rate) else 100 * float(rate))
                t_row.append(f"{rate:.0%} ({int(c['reps_certified'])}/{int(c['reps_in_scope'])})")
        z.append(z_row)
        text.append(t_row)
    fig = go.Figure(go.Heatmap(
        z=z, x=messages, y=groups, text=text, texttemplate="%{text}", colorscale="Blues", zmin=0, zmax=100,
        colorbar=dict(title="Certified (%)"), hoverongaps=False,
        hovertemplate=f"{by.title()}: %{{y}}<br>Message: %{{x}}<br>%{{text}}<extra></extra>"))
    fig.update_layout(title=f"Certification rate by {by} and message (certified / reps in scope)",
                      **LAYOUT)
    fig.update_xaxes(title_text="Message")
    fig.update_yaxes(title_text=by.title(), autorange="reversed")
    fig.update_layout(height=max(300, 60 + 40 * len(groups)))
    return fig


def rep_scores(attempts: pd.DataFrame, colors: Mapping[str, str], pass_mark: float = 0.8) -> go.Figure:
    """One rep's quiz scores over time per message; filled markers passed, the pass mark as a line."""
    fig = go.Figure()
    for name, g in attempts.groupby("message_name", sort=False, dropna=False):
        label = name if isinstance(name, str) else "(no message)"
        passed = g["passed"].fillna(False).astype(bool)
        fig.add_trace(go.Scatter(
            x=pd.to_datetime(g["attempted_at"]), y=g["score"], mode="lines+markers", name=label,
            line=dict(color=colors.get(label, OTHER_COLOR), width=1),
            marker=dict(size=9, color=colors.get(label, OTHER_COLOR), symbol=["circle" if p else "circle-open" for p in passed]),
            text=g["module"], hovertemplate="%{x|%d %b %Y}: %{y:.0%} (%{text})<extra>" + label + "</extra>"))
    fig.add_hline(y=pass_mark, line=dict(color="grey", dash="dash"), annotation_text=f"pass mark {pass_mark:.0%}")
    fig.update_layout(title="Quiz attempts (filled: passed)", **LAYOUT)
    fig.update_xaxes(title_text="Attempt date")
    fig.update_yaxes(title_text="Score (%)", tickformat=".0%", range=[0, 1.05])
    return fig


def rating_trend(frame: pd.DataFrame, colors: Mapping[str, str]) -> go.Figure:
    """Mean rating per message and period with 95 % intervals as error bars; counts in the hover."""
    fig = go.Figure()
    for name, g in frame.groupby("message_name", sort=False):
        fig.add_trace(go.Scatter(
            x=pd.to_datetime(g["period"]), y=g["mean_rating"], mode="lines+markers", name=name,
            line=dict(color=colors.get(name, OTHER_COLOR)),
            error_y=dict(type="data", symmetric=False, array=(g["ci_high"] - g["mean_rating"]).fillna(0),
                         arrayminus=(g["mean_rating"] - g["ci_low"]).fillna(0), thickness=1),
            customdata=g[["n_rated", "ci_low", "ci_high", "share_negative"]].to_numpy(),
            hovertemplate=("%{x|%b %Y}: mean %{y:.2f} (95% CI %{customdata[1]:.2f} to %{customdata[2]:.2f}), "
                           "%{customdata[0]} ratings, %{customdata[3]:.0%} negative<extra>" + name + "</extra>")))
    fig.add_hline(y=3, line=dict(color="grey", dash="dot"), annotation_text="neutral (3)")
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
        fig.add_trace(go.Bar(y=messages, x=g["share"], name=outcome, orientation="h",
                             marker_color=OUTCOME_COLORS.get(outcome, OTHER_COLOR), customdata=g["n_feedback"],
                             hovertemplate="%{y}: %{x:.0%} (%{customdata} entries)<extra>" + outcome + "</extra>"))
    fig.update_layout(title="Outcome reported with the feedback", barmode="stack",
                      **{**LAYOUT, "legend_title_text": "Outcome"})
    fig.update_xaxes(title_text="Feedback entries (% of the message's entries)", tickformat=".0%", range=[0, 1])
    fig.update_yaxes(title_text="Message", autorange="reversed")
    return fig


def negative_share(reception: pd.DataFrame, colors: Mapping[str, str]) -> go.Figure:
    """Share of rated feedback that is negative (rating <= 2) per message, with counts."""
    fig = go.Figure(go.Bar(
        x=reception["message_name"], y=reception["share_negative"],
        marker_color=[colors.get(n, OTHER_COLOR) for n in reception["message_name"]],
        text=[f"{s:.0%}" if pd.notna(s) else "" for s in reception["share_negative"]], textposition="outside",
        customdata=reception[["n_negative", "n_rated"]].to_numpy(),
        hovertemplate="%{x}: %{y:.0%} negative (%{customdata[0]} of %{customdata[1]} ratings)<extra></extra>"))
    fig.update_layout(title="Negative feedback (rating 1-2)", showlegend=False, **LAYOUT)
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
            x=[r.mean_rating], y=[lift if lift is not None else 0.0], mode="markers+text", name=r.message_name,
            text=[r.message_name], textposition="top center",
            marker=dict(size=14 if not r.is_weakest else 20, color=color,
                        symbol="circle" if lift is not None else "circle-open",
                        line=dict(color="black", width=2 if r.is_weakest else 0)),
            error_x=dict(type="data", symmetric=False, array=[_gap(r.ci_high, r.mean_rating)],
                         arrayminus=[_gap(r.mean_rating, r.ci_low)]),
            error_y=dict(type="data", symmetric=False, array=[_gap(r.ci_high_pp, lift)],
                         arrayminus=[_gap(lift, r.ci_low_pp)]),
            hovertemplate=(f"{r.message_name}<br>rating %{{x:.2f}} ({r.n_rated} ratings)<br>"
                           + (f"adjusted lift {lift:+.1f} pp, evidence: {r.evidence}" if lift is not None
                              else "adjusted lift: not enough data") + "<extra></extra>")))
    fig.add_vline(x=3, line=dict(color="grey", dash="dot"))
    fig.add_hline(y=0, line=dict(color="grey", dash="dot"))
    fig.update_layout(title="Reception vs effect (bars: 95% intervals)", **LAYOUT, showlegend=False)
    fig.update_xaxes(title_text="Mean field rating (1-5 scale)", range=[1, 5])
    fig.update_yaxes(title_text="Adjusted win-rate lift (percentage points)")
    return fig


def feedback_volume(frame: pd.DataFrame) -> go.Figure:
    """Feedback entries per rep by team; quiet teams (far below the median team) in orange."""
    shown = frame[~frame["is_suppressed"]]
    fig = go.Figure(go.Bar(
        x=shown["team"], y=shown["feedback_per_rep"],
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
