"""The Retention page's views: analytics.retention's forecasts under the sidebar filters, and their figures.

Forecasts come from analytics.retention (the forgetting law fitted on every graded attempt); this module keeps the
rows of the reps and messages the filters allow -- team, region, manager, segment and message lists, and the reps a
manager may see (`Filters.rep_ids`, applied in SQL by analytics.overview.rep_message) -- and draws them.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from analytics import overview, retention
from analytics.charts import LAYOUT, OTHER_COLOR
from analytics.filters import Filters
from analytics.safe_csv import write_csv
from analytics.precompute import stored

# The columns of `python -m analytics forecast` (its CSV is the page's forecast download).
FORECAST_CSV_COLUMNS = retention.FORECAST_PUBLIC_COLUMNS
REINFORCE_COLUMNS = ["rep_name", "team", "manager", "message", "expected_score", "reinforce_by", "days_left",
                     "last_practiced", "n_attempts", "rep_email"]
HEAT_BY = ("team", "rep")
FORGOTTEN_DAYS = 30
PREDICTOR_LABELS = {"model": "Forgetting model", "last_score": "Baseline: last score",
                    "mean_score": "Baseline: average score"}


def scoped(con, frame: pd.DataFrame, filters: Filters, on_date: date) -> pd.DataFrame:
    """The rows of a rep x message frame whose rep and message the filters keep (dates do not restrict reps)."""
    scope = replace(filters, start=None, end=None)
    if scope == Filters():
        return frame.reset_index(drop=True)
    pairs = overview.rep_message(con, scope, on_date)[["rep_id", "message_id"]].drop_duplicates()
    return frame.merge(pairs, on=["rep_id", "message_id"], how="inner")


def forecast(con, filters: Filters, on_date: date, fitted: retention.RetentionModel | None) -> pd.DataFrame:
    """Expected score of every rep x message the filters keep on one date (retention.forecast rows and order)."""
    rows = retention.forecast(con, [on_date], model=fitted)   # without a model: every pair, no scores
    return scoped(con, rows, filters, on_date)


def forecast_csv_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The forecast as `python -m analytics forecast` prints it: its columns, ISO dates, rounded scores."""
    return retention.forecast_rows(frame).reset_index(drop=True)


def reinforcement(con, filters: Filters, today: date, fitted: retention.RetentionModel | None,
                  horizon_days: int = 7) -> pd.DataFrame:
    """This week's reinforcement list (retention.reinforcement_list) for the reps and messages the filters keep."""
    if fitted is None:
        return pd.DataFrame(columns=[*REINFORCE_COLUMNS, "rep_id", "message_id"])
    return due(forecast(con, filters, today, fitted), today, horizon_days)


def due(scores: pd.DataFrame, today: date, horizon_days: int = 7) -> pd.DataFrame:
    """The reinforcement list from this page's forecast rows (forecast()), without forecasting again."""
    return retention.due(scores, today, horizon_days)[[*REINFORCE_COLUMNS, "rep_id", "message_id"]]


def reinforcement_csv(due_rows: pd.DataFrame) -> str:
    """The reinforcement list's download: its page columns, formula-safe."""
    return write_csv(due_rows[REINFORCE_COLUMNS])


def forecast_csv(scores: pd.DataFrame) -> str:
    """The forecast download: the rows of `python -m analytics forecast`, formula-safe."""
    return write_csv(forecast_csv_rows(scores))


def score_cells(scores: pd.DataFrame, by: str = "team", min_size: int | None = None) -> pd.DataFrame:
    """Mean expected score of trained reps per team (or rep) x message; teams below min_size reps are blanked."""
    if by not in HEAT_BY:
        raise ValueError(f"by must be one of {HEAT_BY}, not {by!r}")
    column = "team" if by == "team" else "rep_name"
    trained = scores[(scores["n_attempts"] > 0) & scores["expected_score"].notna()]
    keys = [column, "rep_id"] if by == "rep" else [column]
    out = (trained.assign(**{column: trained[column].fillna("(none)")})
           .groupby([*keys, "message"], as_index=False, sort=True)
           .agg(expected_score=("expected_score", "mean"), n_reps=("rep_id", "nunique")))
    out = out.rename(columns={column: "group"})
    if by == "rep":
        # two reps with one name stay two rows
        dup = out.groupby("group")["rep_id"].transform("nunique") > 1
        out["group"] = out["group"].where(~dup, out["group"] + " (" + out["rep_id"] + ")")
        out = out.drop(columns="rep_id")
        out["is_suppressed"] = False
        return out
    return overview.suppress_small_groups(out, "n_reps", ["expected_score"], min_size)


def share_trend(con, filters: Filters, on_date: date, weeks: int, fitted: retention.RetentionModel | None
                ) -> pd.DataFrame:
    """Weekly share of certified in-scope reps expected at or above the target, over the last `weeks` weeks."""
    dates = tuple(on_date - timedelta(weeks=k) for k in range(weeks, -1, -1))
    out = overview.retention_share(con, filters, dates, fitted)
    names = overview.catalog(con)[["message_id", "message_name"]]
    return out.merge(names, on="message_id", how="left")


@stored()
def curves(con, fitted: retention.RetentionModel | None) -> pd.DataFrame:
    """Observed and fitted mean retest score by days since a passed attempt, per message (whole organization)."""
    if fitted is None:
        return pd.DataFrame(columns=["message_id", "message_name", "days_bin", "days_since_last_practice",
                                     "n_attempts", "observed_score", "fitted_score"])
    out = retention.forgetting_curve(con, model=fitted)
    return _named(con, out)


@stored()
def forgotten(con, fitted: retention.RetentionModel | None, days: int = FORGOTTEN_DAYS) -> pd.DataFrame:
    """Per message, the share of a passed score lost after `days` days: measured, modelled and the folk figure."""
    if fitted is None:
        return pd.DataFrame(columns=["message_id", "message_name", "days", "n_attempts", "mean_days", "score_before",
                                     "score_after", "share_forgotten", "model_share_forgotten",
                                     "folk_share_forgotten"])
    return _named(con, retention.forgotten_after(con, days, model=fitted))


@stored()
def evaluation(con) -> dict | None:
    """The time-ordered evaluation (MAE of the model and both baselines, calibration); None: too little history."""
    try:
        out = retention.evaluate(con)
    except retention.NotEnoughHistory:
        return None
    return {k: v for k, v in out.items() if k != "model"}


def _named(con, frame: pd.DataFrame) -> pd.DataFrame:
    """Message names added, rows in the launch plan's order."""
    names = overview.catalog(con)[["message_id", "message_name"]]
    order = {m: i for i, m in enumerate(names["message_id"])}
    out = frame.merge(names, on="message_id", how="left")
    out = out.assign(_order=out["message_id"].map(order)).sort_values("_order", kind="stable")
    return out.drop(columns="_order").reset_index(drop=True)


# ------------------------------------------------------------------------------------------ figures

def forgetting_curves(curve: pd.DataFrame, colors: dict[str, str], target: float = retention.TARGET) -> go.Figure:
    """Observed mean retest score (markers, size by retests) and the fitted law (line) by days since a pass."""
    fig = go.Figure()
    for name, g in curve.groupby("message_name", sort=False):
        color = colors.get(name, OTHER_COLOR)
        fig.add_trace(go.Scatter(
            x=g["days_since_last_practice"], y=g["observed_score"], mode="markers", name=f"{name} (observed)",
            legendgroup=name, marker=dict(color=color, size=np.clip(np.sqrt(g["n_attempts"].astype(float)) * 2, 6, 22)),
            customdata=g[["n_attempts", "days_bin"]].to_numpy(),
            hovertemplate="%{customdata[1]} days: mean score %{y:.0%} over %{customdata[0]} retests<extra>"
                          + name + "</extra>"))
        fig.add_trace(go.Scatter(
            x=g["days_since_last_practice"], y=g["fitted_score"], mode="lines", name=f"{name} (fitted)",
            legendgroup=name, line=dict(color=color, width=2),
            hovertemplate="%{x:.0f} days: fitted %{y:.0%}<extra>" + name + "</extra>"))
    fig.add_hline(y=target, line=dict(color="grey", dash="dash"), annotation_text=f"target {target:.0%}")
    fig.update_layout(title="Forgetting curve: score on a retest by days since the last passed attempt", **LAYOUT)
    fig.update_xaxes(title_text="Days since the last passed attempt (days)", rangemode="tozero")
    fig.update_yaxes(title_text="Mean quiz score (%)", tickformat=".0%", range=[0, 1.05])
    return fig


def forgotten_chart(frame: pd.DataFrame, colors: dict[str, str]) -> go.Figure:
    """Measured share forgotten after ~30 days per message (bars), the fitted law's figure, and the folk 90 %."""
    names = list(frame["message_name"])
    fig = go.Figure(go.Bar(
        x=names, y=frame["share_forgotten"], name="Measured", marker_color=[colors.get(n, OTHER_COLOR) for n in names],
        text=[f"{v:.0%}" if pd.notna(v) else "too few retests" for v in frame["share_forgotten"]],
        textposition="outside", customdata=frame[["n_attempts", "mean_days"]].to_numpy(),
        hovertemplate="%{x}: %{y:.0%} of the passed score lost (%{customdata[0]} retests, on average "
                      "%{customdata[1]:.0f} days after a pass)<extra></extra>"))
    fig.add_trace(go.Scatter(x=names, y=frame["model_share_forgotten"], mode="markers", name="Fitted law at 30 days",
                             marker=dict(symbol="line-ew-open", size=30, color="black", line=dict(width=2)),
                             hovertemplate="%{x}: fitted law %{y:.0%}<extra></extra>"))
    folk = float(frame["folk_share_forgotten"].iloc[0]) if len(frame) else retention.FOLK_SHARE_FORGOTTEN_30D
    fig.add_hline(y=folk, line=dict(color="#d62728", dash="dash"),
                  annotation_text=f"folk figure: {folk:.0%} forgotten in 30 days")
    fig.update_layout(title="How much is forgotten after 30 days without practice", **LAYOUT)
    fig.update_xaxes(title_text="Message")
    fig.update_yaxes(title_text="Share of the passed score lost (%)", tickformat=".0%", range=[0, 1.05])
    return fig


def score_heatmap(cells: pd.DataFrame, by: str, target: float = retention.TARGET) -> go.Figure:
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
        z=z, x=messages, y=groups, text=text, texttemplate="%{text}", colorscale="RdYlGn", zmin=30, zmax=100,
        colorbar=dict(title="Expected score (%)"), hoverongaps=False,
        hovertemplate=f"{label}: %{{y}}<br>Message: %{{x}}<br>Expected score %{{text}}<extra></extra>"))
    fig.update_layout(title=f"Expected quiz score today by {by} and message (target {target:.0%})", **LAYOUT)
    fig.update_layout(height=max(320, 90 + (26 if by == "rep" else 40) * len(groups)))
    fig.update_xaxes(title_text="Message", side="top")
    fig.update_yaxes(title_text=label, autorange="reversed")
    return fig


def share_trend_chart(trend: pd.DataFrame, colors: dict[str, str], target: float = retention.TARGET) -> go.Figure:
    """Weekly share of certified reps expected at or above the target, one line per message."""
    fig = go.Figure()
    for name, g in trend.groupby("message_name", sort=False):
        fig.add_trace(go.Scatter(
            x=pd.to_datetime(g["on_date"]), y=g["share_above"], mode="lines+markers", name=name,
            line=dict(color=colors.get(name, OTHER_COLOR), width=2),
            customdata=g[["n_above", "n_certified"]].to_numpy(),
            hovertemplate="%{x|%d %b %Y}: %{y:.0%} (%{customdata[0]} of %{customdata[1]} certified reps)<extra>"
                          + name + "</extra>"))
    fig.update_layout(title=f"Certified reps expected to score at least {target:.0%}", **LAYOUT)
    fig.update_xaxes(title_text="Week (date)")
    fig.update_yaxes(title_text="Certified reps above target (%)", tickformat=".0%", range=[0, 1.05])
    return fig


def calibration_chart(calibration: pd.DataFrame) -> go.Figure:
    """Mean observed vs mean predicted score per prediction bin, for the model and both baselines."""
    fig = go.Figure()
    fig.add_trace(go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="Perfect calibration",
                             line=dict(color="grey", dash="dot"), hoverinfo="skip"))
    palette = {"model": "#e45756", "last_score": "#4c78a8", "mean_score": "#9d755d"}
    for predictor, g in calibration.groupby("predictor", sort=False):
        label = PREDICTOR_LABELS.get(predictor, predictor)
        fig.add_trace(go.Scatter(
            x=g["predicted_mean"], y=g["observed_mean"], mode="lines+markers", name=label,
            line=dict(color=palette.get(predictor, OTHER_COLOR), width=2.5 if predictor == "model" else 1.5),
            marker=dict(size=np.clip(np.sqrt(g["n"].astype(float)) * 1.5, 5, 18)), customdata=g["n"],
            hovertemplate="predicted %{x:.0%}, observed %{y:.0%} (%{customdata} attempts)<extra>" + label
                          + "</extra>"))
    fig.update_layout(title="Calibration on later attempts (held out by time)", **LAYOUT)
    fig.update_xaxes(title_text="Predicted score (%)", tickformat=".0%", range=[0, 1.02])
    fig.update_yaxes(title_text="Observed score (%)", tickformat=".0%", range=[0, 1.02])
    return fig
