"""Retention figures: forgetting curves, the 30-day loss next to the folk figure, heat map, share trend, calibration."""

from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics.figures.style import INK, LAYOUT, OTHER_COLOR, plain, plain_all
from analytics.settings import RETENTION_TARGET
from analytics.views.forgetting import FOLK_SHARE_FORGOTTEN_30D

PREDICTOR_LABELS = {"memory": "Huddle's memory model", "fsrs6_default": "FSRS-6 (published parameters)",
                    "fsrs6_optimized": "FSRS-6 (optimized)", "last_outcome": "Baseline: last outcome",
                    "mean": "Baseline: average"}


def forgetting_curves(curve: pd.DataFrame, colors: dict[str, str], target: float = RETENTION_TARGET) -> go.Figure:
    """Observed mean retest score (markers, size by retests) and the fitted law (line) by days since a pass."""
    fig = go.Figure()
    for name, g in curve.groupby("message_name", sort=False):
        color = colors.get(name, OTHER_COLOR)
        fig.add_trace(go.Scatter(
            x=g["days_since_last_practice"], y=g["observed_score"], mode="markers", name=f"{plain(name)} (observed)",
            legendgroup=name, marker=dict(color=color, size=np.clip(np.sqrt(g["n_attempts"].astype(float)) * 2, 6, 22)),
            customdata=g[["n_attempts", "days_bin"]].to_numpy(),
            hovertemplate="%{customdata[1]} days: mean score %{y:.0%} over %{customdata[0]} retests<extra>"
                          + plain(name) + "</extra>"))
        fig.add_trace(go.Scatter(
            x=g["days_since_last_practice"], y=g["fitted_score"], mode="lines", name=f"{plain(name)} (fitted)",
            legendgroup=name, line=dict(color=color, width=2),
            hovertemplate="%{x:.0f} days: fitted %{y:.0%}<extra>" + plain(name) + "</extra>"))
    fig.add_hline(y=target, line=dict(color="grey", dash="dash"), annotation_text=f"target {target:.0%}")
    fig.update_layout(title="Forgetting curve: score on a retest by days since the last passed attempt", **LAYOUT)
    fig.update_xaxes(title_text="Days since the last passed attempt (days)", rangemode="tozero")
    fig.update_yaxes(title_text="Mean quiz score (%)", tickformat=".0%", range=[0, 1.05])
    return fig


def forgotten_chart(frame: pd.DataFrame, colors: dict[str, str]) -> go.Figure:
    """Measured share forgotten after ~30 days per message (bars), the fitted law's figure, and the folk 90 %."""
    names = list(frame["message_name"])
    shown = plain_all(names)
    fig = go.Figure(go.Bar(
        x=shown, y=frame["share_forgotten"], name="Measured", marker_color=[colors.get(n, OTHER_COLOR) for n in names],
        text=[f"{v:.0%}" if pd.notna(v) else "too few retests" for v in frame["share_forgotten"]],
        textposition="outside", customdata=frame[["n_attempts", "mean_days"]].to_numpy(),
        hovertemplate="%{x}: %{y:.0%} of the passed score lost (%{customdata[0]} retests, on average "
                      "%{customdata[1]:.0f} days after a pass)<extra></extra>"))
    fig.add_trace(go.Scatter(x=shown, y=frame["model_share_forgotten"], mode="markers", name="Fitted law at 30 days",
                             marker=dict(symbol="line-ew-open", size=30, color=INK, line=dict(width=2)),
                             hovertemplate="%{x}: fitted law %{y:.0%}<extra></extra>"))
    folk = float(frame["folk_share_forgotten"].iloc[0]) if len(frame) else FOLK_SHARE_FORGOTTEN_30D
    fig.add_hline(y=folk, line=dict(color="#d62728", dash="dash"),
                  annotation_text=f"folk figure: {folk:.0%} forgotten in 30 days")
    fig.update_layout(title="How much is forgotten after 30 days without practice", **LAYOUT)
    fig.update_xaxes(title_text="Message")
    fig.update_yaxes(title_text="Share of the passed score lost (%)", tickformat=".0%", range=[0, 1.05])
    return fig


def score_heatmap(cells: pd.DataFrame, by: str, target: float = RETENTION_TARGET) -> go.Figure:
    """Mean expected score now per team (or rep) x message; hidden small teams shown blank with their size."""
    groups = sorted(cells["group"].unique())
    messages = list(dict.fromkeys(cells["message"]))
    index = cells.set_index(["group", "message"])
    z, text = [], []
    for g in groups:
        z_row, t_row = [], []
        for m in messages:
            if (g, m) not in index.index:
                z_row.append(None)
                t_row.append("")
                continue
            c = index.loc[(g, m)]
            if bool(c["is_suppressed"]):
                z_row.append(None)
                t_row.append(f"n={int(c['n_reps'])}: hidden")
            else:
                z_row.append(100 * float(c["expected_score"]))
                t_row.append(f"{c['expected_score']:.0%}" + (f" (n={int(c['n_reps'])})" if by == "team" else ""))
        z.append(z_row)
        text.append(t_row)
    label = "Team" if by == "team" else "Rep"
    fig = go.Figure(go.Heatmap(
        z=z, x=plain_all(messages), y=plain_all(groups), text=text, texttemplate="%{text}", colorscale="RdYlGn",
        zmin=30, zmax=100,
        colorbar=dict(title="Expected score (%)"), hoverongaps=False,
        hovertemplate=f"{label}: %{{y}}<br>Message: %{{x}}<br>Expected score %{{text}}<extra></extra>"))
    fig.update_layout(title=f"Expected quiz score today by {by} and message (target {target:.0%})", **LAYOUT)
    fig.update_layout(height=max(320, 90 + (26 if by == "rep" else 40) * len(groups)))
    fig.update_xaxes(title_text="Message", side="top")
    fig.update_yaxes(title_text=label, autorange="reversed")
    return fig


def share_trend_chart(trend: pd.DataFrame, colors: dict[str, str], target: float = RETENTION_TARGET) -> go.Figure:
    """Weekly share of certified reps expected at or above the target, one line per message."""
    fig = go.Figure()
    for name, g in trend.groupby("message_name", sort=False):
        fig.add_trace(go.Scatter(
            x=pd.to_datetime(g["on_date"]), y=g["share_above"], mode="lines+markers", name=plain(name),
            line=dict(color=colors.get(name, OTHER_COLOR), width=2),
            customdata=g[["n_above", "n_certified"]].to_numpy(),
            hovertemplate="%{x|%d %b %Y}: %{y:.0%} (%{customdata[0]} of %{customdata[1]} certified reps)<extra>"
                          + plain(name) + "</extra>"))
    fig.update_layout(title=f"Certified reps expected to score at least {target:.0%}", **LAYOUT)
    fig.update_xaxes(title_text="Week (date)")
    fig.update_yaxes(title_text="Certified reps above target (%)", tickformat=".0%", range=[0, 1.05])
    return fig


def calibration_chart(calibration: pd.DataFrame) -> go.Figure:
    """Observed pass rate vs forecast chance of passing per forecast bin, for the model, FSRS-6 and the baselines."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="Perfect calibration",
                             line=dict(color=INK, dash="dot"), hoverinfo="skip"))
    palette = {"memory": "#e45756", "fsrs6_default": "#54a24b", "fsrs6_optimized": "#2a9d8f",
               "last_outcome": "#4c78a8", "mean": "#9d755d"}
    for predictor, g in calibration.groupby("predictor", sort=False):
        label = PREDICTOR_LABELS.get(predictor, predictor)
        fig.add_trace(go.Scatter(
            x=g["predicted_mean"], y=g["observed_mean"], mode="lines+markers", name=label,
            line=dict(color=palette.get(predictor, OTHER_COLOR), width=2.5 if predictor == "memory" else 1.5),
            marker=dict(size=np.clip(np.sqrt(g["n"].astype(float)) * 1.5, 5, 18)), customdata=g["n"],
            hovertemplate="predicted %{x:.0%}, observed %{y:.0%} (%{customdata} attempts)<extra>" + label
                          + "</extra>"))
    fig.update_layout(title="Calibration on later attempts (held out by time)", **LAYOUT)
    fig.update_xaxes(title_text="Forecast chance of passing (%)", tickformat=".0%", range=[0, 1.02])
    fig.update_yaxes(title_text="Observed pass rate (%)", tickformat=".0%", range=[0, 1.02])
    return fig
