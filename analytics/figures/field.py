"""Field usage figures: usage by week since launch against the plan, usage by group, the funnel, and usage lift
beside certified lift. DataFrame in, plotly Figure out; message colours from style.message_colors, good/bad verdict
colours where the question is good or bad (a lift)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.figures.style import INK, LAYOUT, OTHER_COLOR, VERDICT_COLORS, interval_bars, plain, plain_all
from analytics.metrics.evidence import VERDICT_LABELS, verdict

BASELINE_COLOR = OTHER_COLOR      # weeks before launch: the trackers' baseline


def weekly_usage(weeks: pd.DataFrame, colors: Mapping[str, str]) -> go.Figure:
    """Usage rate per call by week since launch (band: 95 % interval), the certified share (dashed) and the
    plan's certified-share path (dotted); weeks before launch in grey, the trackers' baseline."""
    fig = go.Figure()
    for name, g in weeks.groupby("message_name", sort=False):
        color = colors.get(name, OTHER_COLOR)
        after, before = g[~g["is_baseline"]], g[g["is_baseline"]]
        x = after["weeks_since_launch"]
        fig.add_trace(go.Scatter(
            x=np.concatenate([x, x[::-1]]), y=np.concatenate([after["ci_high"], after["ci_low"][::-1]]),
            fill="toself", fillcolor=color, opacity=0.15, line=dict(width=0), legendgroup=name, showlegend=False,
            hoverinfo="skip"))
        fig.add_trace(go.Scatter(
            x=x, y=after["usage_rate"], mode="lines+markers", name=plain(name), legendgroup=name,
            line=dict(color=color, width=2.5),
            customdata=after[["n_used", "n_calls", "ci_low", "ci_high", "n_reps"]].to_numpy(),
            hovertemplate=("week %{x}: used in %{y:.0%} of calls (%{customdata[0]} of %{customdata[1]}, "
                           "%{customdata[4]} reps; 95% CI %{customdata[2]:.0%} to %{customdata[3]:.0%})"
                           "<extra>" + plain(name) + "</extra>")))
        fig.add_trace(go.Scatter(
            x=x, y=after["certified_share"], mode="lines", legendgroup=name, showlegend=False,
            line=dict(color=color, width=1.5, dash="dash"),
            hovertemplate="week %{x}: %{y:.0%} of reps in scope certified<extra>" + plain(name) + "</extra>"))
        if after["planned_share"].notna().any():
            fig.add_trace(go.Scatter(
                x=x, y=after["planned_share"], mode="lines", legendgroup=name, showlegend=False,
                line=dict(color=color, width=1, dash="dot"),
                hovertemplate="week %{x}: plan %{y:.0%} certified<extra>" + plain(name) + "</extra>"))
        if len(before):
            fig.add_trace(go.Scatter(
                x=before["weeks_since_launch"], y=before["usage_rate"], mode="markers", legendgroup=name,
                showlegend=False, marker=dict(color=BASELINE_COLOR, size=7, line=dict(color=color, width=1)),
                customdata=before[["n_used", "n_calls"]].to_numpy(),
                hovertemplate=("week %{x} (before launch): matched in %{y:.0%} of calls (%{customdata[0]} of "
                               "%{customdata[1]}): false positives or organic use<extra>" + plain(name)
                               + "</extra>")))
    fig.add_vline(x=-0.5, line=dict(color=INK, width=1, dash="dot"))
    fig.update_layout(title="Used in calls by week since launch (dashed: certified; dotted: plan; grey: before "
                            "launch)", **LAYOUT)
    fig.update_xaxes(title_text="Weeks since launch")
    fig.update_yaxes(title_text="Share of in-scope calls (%)", tickformat=".0%", range=[0, 1.05])
    return fig


def group_usage(rates: pd.DataFrame, by: str, colors: Mapping[str, str]) -> go.Figure:
    """Usage rate per call of each group (team, manager or rep) and message, with 95 % intervals; hidden groups
    (below the minimum size) are left out."""
    label = "rep_name" if by == "rep" else by
    shown = rates[~rates.get("is_suppressed", pd.Series(False, index=rates.index)).astype(bool)
                  & rates["usage_rate"].notna()]
    fig = go.Figure()
    for name, g in shown.groupby("message_name", sort=False):
        color = colors.get(name, OTHER_COLOR)
        rate = g["usage_rate"].astype(float)
        fig.add_trace(go.Bar(
            y=plain_all(g[label]), x=rate, orientation="h", name=plain(name), marker_color=color,
            error_x=dict(type="data", symmetric=False, array=(g["ci_high"].astype(float) - rate).fillna(0),
                         arrayminus=(rate - g["ci_low"].astype(float)).fillna(0), color=INK),
            customdata=g[["n_used", "n_calls"]].to_numpy(),
            hovertemplate="%{y}: %{x:.0%} of calls (%{customdata[0]} of %{customdata[1]})<extra>" + plain(name)
                          + "</extra>"))
    fig.update_layout(title=f"Used in calls by {by} (bars: 95% intervals)", barmode="group", **LAYOUT,
                      height=max(320, 120 + 28 * shown[label].nunique() * max(1, shown["message_id"].nunique())))
    fig.update_xaxes(title_text="Share of in-scope calls (%)", tickformat=".0%", range=[0, 1])
    fig.update_yaxes(autorange="reversed")
    return fig


def usage_funnel(frame: pd.DataFrame, colors: Mapping[str, str]) -> go.Figure:
    """Share of in-scope reps at each stage, in scope -> certified -> uses it in calls -> on a deal -> won."""
    fig = go.Figure()
    for name, g in frame.groupby("message_name", sort=False):
        fig.add_trace(go.Bar(x=g["stage"], y=g["share_of_scope"], name=plain(name),
                             marker_color=colors.get(name, OTHER_COLOR), text=g["reps"], textposition="outside",
                             customdata=g[["reps"]].to_numpy(),
                             hovertemplate="%{x}: %{customdata[0]} reps (%{y:.0%} of scope)<extra>" + plain(name)
                                           + "</extra>"))
    fig.update_layout(title="From certified to used to won (reps; each stage inside the one before)",
                      barmode="group", **LAYOUT)
    fig.update_yaxes(title_text="Share of reps in scope (%)", tickformat=".0%", range=[0, 1.1])
    return fig


def lift_beside(lifts: pd.DataFrame) -> go.Figure:
    """Usage lift and certified lift per message with 95 % intervals; colour is the verdict (red lowers, blue raises
    win rates, grey uncertain), the symbol the definition."""
    names = list(lifts["message_name"])
    shown = plain_all(names)
    y = np.arange(len(names), dtype=float)
    fig = go.Figure()
    for offset, (key, label, symbol) in enumerate((("certified", "Certified (owner passed the quiz)", "circle"),
                                                   ("usage", "Used on the deal before the close", "square"))):
        value, low, high = (lifts[f"{key}_lift_pp"], lifts[f"{key}_ci_low_pp"], lifts[f"{key}_ci_high_pp"])
        evidence = lifts[f"{key}_evidence"].fillna("insufficient")
        verdicts = [verdict(v, lo, hi, e) for v, lo, hi, e in zip(value, low, high, evidence)]
        c, lo, hi = (pd.to_numeric(s, errors="coerce").astype(float) for s in (value, low, high))
        fig.add_trace(go.Scatter(
            x=c, y=y + (0.15 if offset == 0 else -0.15), mode="markers", name=label,
            marker=dict(symbol=symbol, size=12, color=[VERDICT_COLORS[v] for v in verdicts],
                        line=dict(color=INK, width=1)),
            error_x=interval_bars(c, lo, hi),
            customdata=np.column_stack([shown, lo, hi, evidence, [VERDICT_LABELS[v] for v in verdicts]]),
            hovertemplate=("%{customdata[0]}<br>" + label + ": %{x:+.1f} pp (95% CI %{customdata[1]:+.1f} to "
                           "%{customdata[2]:+.1f}), evidence: %{customdata[3]}<br>%{customdata[4]}<extra></extra>")))
    fig.add_vline(x=0, line=dict(color=INK, dash="dot"))
    fig.update_layout(title="Win-rate lift: used on the deal vs certified (bars: 95% intervals)", **LAYOUT,
                      height=max(320, 140 + 70 * len(names)))
    fig.update_xaxes(title_text="Win-rate lift (percentage points)", zeroline=False)
    fig.update_yaxes(title_text="Message", tickvals=y, ticktext=shown, autorange="reversed",
                     range=[len(names) - 0.5, -0.5])
    return fig
