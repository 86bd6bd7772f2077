"""Adoption figures: certification since launch against the plan, the funnel, time to certify, heat map, rep scores."""

from __future__ import annotations

from collections.abc import Mapping

import pandas as pd
import plotly.graph_objects as go

from analytics.figures.style import INK, LAYOUT, OTHER_COLOR, plain, plain_all
from analytics.settings import PASS_MARK


def adoption_trend(curve: pd.DataFrame, plan: pd.DataFrame, colors: Mapping[str, str]) -> go.Figure:
    """Cumulative share of in-scope reps certified by week, with launch dates and each message's plan path."""
    fig = go.Figure()
    end = pd.to_datetime(curve["week_start"]).max() if len(curve) else None
    for name, g in curve.groupby("message_name", sort=False):
        color = colors.get(name, OTHER_COLOR)
        fig.add_trace(go.Scatter(
            x=pd.to_datetime(g["week_start"]), y=g["certified_share"], mode="lines", name=plain(name),
            legendgroup=name,
            line=dict(color=color, width=2.5),
            customdata=g[["reps_certified", "reps_in_scope", "weeks_since_launch"]].to_numpy(),
            hovertemplate=("%{x|%d %b %Y} (week %{customdata[2]})<br>%{y:.0%} certified "
                           "(%{customdata[0]} of %{customdata[1]} reps in scope)<extra>" + plain(name) + "</extra>")))
    shown = set(curve["message_name"])
    for r in plan[plan["message_name"].isin(shown)].itertuples():
        color = colors.get(r.message_name, OTHER_COLOR)
        launch = pd.Timestamp(r.launch_date)
        fig.add_vline(x=launch, line=dict(color=color, width=1, dash="dot"))
        fig.add_annotation(x=launch, y=1.02, yref="y", text=f"launch: {plain(r.message_name)}", showarrow=False,
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
            name=f"{plain(r.message_name)} plan", legendgroup=r.message_name, showlegend=False,
            hovertemplate="plan: %{y:.0%} by %{x|%d %b %Y}<extra>" + plain(r.message_name) + "</extra>"))
        fig.add_trace(go.Scatter(
            x=[target_day], y=[float(r.adoption_target)], mode="markers", legendgroup=r.message_name,
            marker=dict(symbol="star", size=13, color=color, line=dict(color=INK, width=1)),
            name=f"{plain(r.message_name)} target", showlegend=False,
            hovertemplate="target %{y:.0%} by %{x|%d %b %Y}<extra>" + plain(r.message_name) + "</extra>"))
    fig.update_layout(title="Adoption since launch (dashed: plan; star: adoption target and date)", **LAYOUT)
    fig.update_xaxes(title_text="Week (date)")
    fig.update_yaxes(title_text="Reps in scope certified (%)", tickformat=".0%", range=[0, 1.05])
    return fig


def funnel(frame: pd.DataFrame, colors: Mapping[str, str]) -> go.Figure:
    """Share of in-scope reps at each certification stage, one bar per message, counts on the bars."""
    fig = go.Figure()
    for name, g in frame.groupby("message_name", sort=False):
        fig.add_trace(go.Bar(x=g["stage"], y=g["share_of_scope"], name=plain(name),
                             marker_color=colors.get(name, OTHER_COLOR),
                             text=g["reps"].map(lambda n: f"{n:,}"), textposition="outside",
                             hovertemplate="%{x}: %{text} reps (%{y:.0%} of reps in scope)<extra>" + plain(name)
                                           + "</extra>"))
    fig.update_layout(title="Certification funnel", barmode="group", **LAYOUT)
    fig.update_xaxes(title_text="Stage")
    fig.update_yaxes(title_text="Reps (% of reps in scope)", tickformat=".0%", range=[0, 1.15])
    return fig


def time_to_certify(frame: pd.DataFrame, colors: Mapping[str, str]) -> go.Figure:
    """Distribution of days from launch to certification per message (box: quartiles, whiskers, outliers)."""
    fig = go.Figure()
    for name, g in frame.groupby("message_name", sort=False):
        fig.add_trace(go.Box(x=g["days_to_certify"], name=plain(name), marker_color=colors.get(name, OTHER_COLOR),
                             boxpoints="outliers", orientation="h",
                             hovertemplate="%{x} days<extra>" + plain(name) + "</extra>"))
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
        z=z, x=plain_all(messages), y=plain_all(groups), text=text, texttemplate="%{text}", colorscale="Blues",
        zmin=0, zmax=100,
        colorbar=dict(title="Certified (%)"), hoverongaps=False,
        hovertemplate=f"{by.title()}: %{{y}}<br>Message: %{{x}}<br>%{{text}}<extra></extra>"))
    fig.update_layout(title=f"Certification rate by {by} and message (certified / reps in scope)",
                      **LAYOUT)
    fig.update_xaxes(title_text="Message")
    fig.update_yaxes(title_text=by.title(), autorange="reversed")
    fig.update_layout(height=max(300, 60 + 40 * len(groups)))
    return fig


def rep_scores(attempts: pd.DataFrame, colors: Mapping[str, str], pass_mark: float = PASS_MARK) -> go.Figure:
    """One rep's quiz scores over time per message; filled markers passed, the pass mark as a line."""
    fig = go.Figure()
    for name, g in attempts.groupby("message_name", sort=False, dropna=False):
        label = name if isinstance(name, str) else "(no message)"
        passed = g["passed"].fillna(False).astype(bool)
        fig.add_trace(go.Scatter(
            x=pd.to_datetime(g["attempted_at"]), y=g["score"], mode="lines+markers", name=plain(label),
            line=dict(color=colors.get(label, OTHER_COLOR), width=1),
            marker=dict(size=9, color=colors.get(label, OTHER_COLOR), symbol=["circle" if p else "circle-open" for p in passed]),
            text=plain_all(g["module"]),
            hovertemplate="%{x|%d %b %Y}: %{y:.0%} (%{text})<extra>" + plain(label) + "</extra>"))
    fig.add_hline(y=pass_mark, line=dict(color="grey", dash="dash"), annotation_text=f"pass mark {pass_mark:.0%}")
    fig.update_layout(title="Quiz attempts (filled: passed)", **LAYOUT)
    fig.update_xaxes(title_text="Attempt date")
    fig.update_yaxes(title_text="Score (%)", tickformat=".0%", range=[0, 1.05])
    return fig
