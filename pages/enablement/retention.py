"""Retention: the forgetting curve, expected scores now, the share above target, this week's reinforcement list."""

import streamlit as st

from analytics import cache, settings
from analytics.estimators.memory import MIN_REPEAT_ATTEMPTS
from analytics.figures import retention as figures
from analytics.views import retention as views
from pages._ui import hr_note, md, page_context

page = page_context("retention")
user, filters, today, colors = page.user, page.filters, page.as_of, page.colors
fitted = cache.run(views.retention_model)
if fitted is None:
    st.info(f"Not enough quiz history to learn how fast messages are forgotten yet: the forgetting model needs at "
            f"least {MIN_REPEAT_ATTEMPTS} repeat attempts (a rep taking a message's quiz again). "
            "Upload more quiz results on the **Data** page.")
    st.stop()
st.caption(f"Expected scores on {today:%d %b %Y}. The memory model (FSRS-6's memory law fitted to every graded quiz "
           "attempt, corrected by each rep's and message's record) forecasts each rep's score; target score "
           f"{settings.RETENTION_TARGET:.0%}. The curve, the 30-day figure and the evaluation "
           "describe the whole organization; the heat map, the trend and the reinforcement list follow the team, "
           "region, manager, segment and message filters.")

st.subheader("How fast messages are forgotten")
left, right = st.columns([3, 2])
with left:
    st.plotly_chart(figures.forgetting_curves(cache.run(views.curves, fitted), colors), width="stretch")
with right:
    lost = cache.run(views.forgotten, fitted)
    st.plotly_chart(figures.forgotten_chart(lost, colors), width="stretch")
BELIEVE = {"agree": "they agree within sampling error",
           "measured": "they differ by more than sampling error: believe the measured figure (this message is "
                       "forgotten unlike the model's typical curve)",
           "fitted": "too few retests to measure: believe the model"}
for row in lost.itertuples():
    measured = (f"**{row.share_forgotten:.0%}** of the passed score lost" if row.share_forgotten == row.share_forgotten
                else "too few retests to measure")
    fitted_same = (f"the model's forecast of the same retests: **{row.fitted_share_forgotten:.0%}**; "
                   if row.fitted_share_forgotten == row.fitted_share_forgotten else "")
    st.markdown(f"- **{md(row.message_name)}**: measured {measured} after about {views.FORGOTTEN_DAYS} days "
                f"({row.n_attempts} retests 22-38 days after a pass); {fitted_same}{BELIEVE[row.believe]}. "
                f"The model at exactly {views.FORGOTTEN_DAYS} days says {row.model_share_forgotten:.0%}; "
                f"the folk figure is {row.folk_share_forgotten:.0%}.")

st.subheader("Expected score today")
scores = cache.run(views.forecast, filters, today, fitted)
by_options = ["team", "rep"] if user.sees_rep_detail else ["team"]
by = st.segmented_control("Rows", by_options, default="team", key="retention_by", format_func=str.title) or "team"
if by == "rep":
    hr_note()
cells = views.score_cells(scores, by, settings.min_group_size())
if cells.empty:
    st.info("Nobody in these filters has taken a quiz yet.")
else:
    st.plotly_chart(figures.score_heatmap(cells, by), width="stretch")
    if by == "team":
        st.caption(f"Mean expected score of the reps who have taken the message's quiz; teams with fewer than "
                   f"{settings.min_group_size()} such reps are hidden ({settings.MIN_GROUP_SIZE_ENV}).")

st.subheader("Share of certified reps above target")
weeks = st.select_slider("Weeks shown", options=list(views.TREND_WEEKS_OFFERED), value=views.TREND_WEEKS,
                         key="retention_weeks")
trend = cache.run(views.share_trend, filters, today, weeks, fitted)
if trend.empty:
    st.info("No certified reps in these filters.")
else:
    st.plotly_chart(figures.share_trend_chart(trend, colors), width="stretch")

st.subheader("Reinforcement list: due this week, then overdue")
if not user.sees_rep_detail:
    st.info("Rep-level lists are not shown for your role: the figures above are aggregated.")
else:
    hr_note()
    due = views.due(scores, today)
    beyond = int((scores["n_attempts"].gt(0) & scores["is_beyond_horizon"]).sum())
    st.caption(f"**Due this week**: reps whose expected score on a message will fall below "
               f"{settings.RETENTION_TARGET:.0%} within 7 days, soonest first: a short refresher before the date keeps "
               "the message. **Overdue**: already below target, most at stake first (a live message, a rep selling "
               "in the message's segment, then the rep's open pipeline there). "
               f"{beyond:,} practiced pairs stay above target {fitted.horizon_label()}. Filter by team and manager "
               "in the sidebar.")
    if due.empty:
        st.success("Nobody needs a refresher this week for these filters.")
    else:
        st.dataframe(due[views.REINFORCE_COLUMNS], hide_index=True, width="stretch", column_config={
            "rep_name": "Rep", "team": "Team", "manager": "Manager", "message": "Message",
            "expected_score": st.column_config.NumberColumn("Expected score now", format="percent"),
            "reinforce_by": st.column_config.DateColumn("Reinforce by"), "days_left": "Days left",
            "last_practiced": st.column_config.DateColumn("Last practiced"), "n_attempts": "Attempts",
            "rep_email": "Email", "status": "Status", "is_message_live": "Message live",
            "is_rep_in_scope": "Rep in segment", "open_deals": "Open deals",
            "open_pipeline": st.column_config.NumberColumn("Open pipeline", format="localized")})
    left, right = st.columns(2)
    left.download_button("Download the reinforcement list (CSV)", cache.derived(views.reinforcement_csv, due),
                         file_name=f"huddle-reinforce-{today}.csv", mime="text/csv", key="retention_reinforce_csv",
                         icon=":material/download:", on_click="ignore")
    right.download_button("Download the forecast (CSV)", cache.derived(views.forecast_csv, scores),
                          file_name=f"huddle-forecast-{today}.csv", mime="text/csv", key="retention_forecast_csv",
                          icon=":material/download:", on_click="ignore",
                          help=f"Every rep x message in these filters: the rows of "
                               f"`python -m analytics forecast --on {today}`.")

st.subheader("How far to trust the forecast")
evaluation = cache.run(views.evaluation)
if evaluation is None or evaluation["n_test"] == 0:
    st.info("Too little history after the evaluation cutoff to test the model on later attempts.")
else:
    c1, c2, c3 = st.columns(3)
    c1.metric("Model error (MAE)", f"{evaluation['mae_model']:.3f}", border=True,
              help="Mean absolute difference between predicted and observed score (0-1 scale).")
    c2.metric("Baseline: last score", f"{evaluation['mae_last_score']:.3f}", border=True,
              help="Predict the rep's last score on the message.")
    c3.metric("Baseline: average score", f"{evaluation['mae_mean_score']:.3f}", border=True,
              help="Predict the average score of all training attempts.")
    st.markdown(f"On your data, the forecast's typical error is **{100 * evaluation['mae_model']:.0f} points**; "
                f"repeating the last score would be {100 * evaluation['mae_last_score']:.0f}, and the average score "
                f"{100 * evaluation['mae_mean_score']:.0f} (points on a 0-100 score).")
    st.table(views.evaluation_table(evaluation).round(3), hide_index=True)
    st.plotly_chart(figures.calibration_chart(evaluation["calibration"]), width="stretch")
    st.caption(f"Time-ordered evaluation: every forecast is fitted on the {evaluation['n_train']:,} attempts before "
               f"{evaluation['cutoff']:%d %b %Y} and predicts each rep x message's first later attempt a day or more "
               f"after its last ({evaluation['n_test']:,} attempts). FSRS-6 is the open spaced-repetition model with "
               "its published parameters; scores map to its ratings (below the pass mark Again, then Hard, Good, "
               "Easy). Log loss scores the forecast chance of passing (lower is better), AUC how well it ranks who "
               "passes (higher is better), MAE the expected score, and the calibration gap the attempt-weighted "
               "distance between forecast and observed pass rates.")
