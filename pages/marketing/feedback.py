"""Field feedback: how each message is received, what the notes say, next to its use and effect on win rates."""

import streamlit as st

from analytics import cache, settings
from analytics.figures import feedback as figures
from analytics.metrics.reception import NEGATIVE_RATING, weakest_received
from analytics.views import feedback
from pages._ui import md, md_join, page_context

page = page_context("feedback")
filters, as_of, colors = page.filters, page.as_of, page.colors
st.caption(f"Ratings are on a 1-5 scale; negative means a rating of {NEGATIVE_RATING:.0f} or less. "
           "Intervals are 95% t-intervals on the mean rating. Feedback is filtered by its date, the rep's team, "
           "region and manager, and the message (not by segment).")

side = cache.run(feedback.reception_use_effect, filters, as_of)
if side["n_feedback"].sum() == 0:
    st.info("No field feedback for these filters.")
    st.stop()
weakest = weakest_received(side)
if weakest is not None:
    st.error(f"**Weakest received: {md(weakest['message_name'])}**: mean rating {weakest['mean_rating']:.1f} / 5 "
             f"(95% CI {weakest['ci_low']:.1f} to {weakest['ci_high']:.1f}, {weakest['n_rated']:,} ratings), "
             f"{weakest['share_negative']:.0%} negative.", icon=":material/thumb_down:")

st.subheader("Reception, use and effect")
st.dataframe(
    side[["message_name", "n_feedback", "mean_rating", "ci_low", "ci_high", "share_negative",
          "certification_rate", "adjusted_lift_pp", "ci_low_pp", "ci_high_pp", "evidence"]],
    hide_index=True, width="stretch",
    column_config={
        "message_name": "Message", "n_feedback": "Feedback",
        "mean_rating": st.column_config.NumberColumn("Rating (1-5)", format="%.2f"),
        "ci_low": st.column_config.NumberColumn("Rating low", format="%.2f"),
        "ci_high": st.column_config.NumberColumn("Rating high", format="%.2f"),
        "share_negative": st.column_config.NumberColumn("Negative", format="percent"),
        "certification_rate": st.column_config.NumberColumn("Reps certified", format="percent"),
        "adjusted_lift_pp": st.column_config.NumberColumn("Adjusted lift (pp)", format="%+.1f"),
        "ci_low_pp": st.column_config.NumberColumn("Lift low (pp)", format="%+.1f"),
        "ci_high_pp": st.column_config.NumberColumn("Lift high (pp)", format="%+.1f"),
        "evidence": "Evidence"})
left, right = st.columns(2)
with left:
    st.plotly_chart(figures.reception_vs_effect(side, colors), width="stretch")
with right:
    st.plotly_chart(figures.negative_share(side, colors), width="stretch")

st.subheader("Ratings over time")
st.plotly_chart(figures.rating_trend(cache.run(feedback.rating_trend, filters), colors), width="stretch")
st.plotly_chart(figures.outcome_mix(cache.run(feedback.outcome_mix, filters)), width="stretch")

st.subheader("What the notes say")
ids = side.loc[side["n_feedback"] > 0, "message_id"].tolist()
names = dict(zip(side["message_id"], side["message_name"]))
default = ids.index(weakest["message_id"]) if weakest is not None and weakest["message_id"] in ids else 0
message_id = st.selectbox("Message", ids, index=default, format_func=lambda m: names.get(m, m),
                          key="feedback_theme_message")
found = cache.run(feedback.note_themes, filters, message_id)
if found.empty:
    st.info("Too few notes with words to group into themes.")
for theme in found.itertuples():
    with st.container(border=True):
        st.markdown(f"**{md(theme.label)}**: {theme.notes} notes ({theme.share:.0%}), mean rating "
                    + ("–" if theme.avg_rating != theme.avg_rating else f"{theme.avg_rating:.1f}"))
        for quote in theme.quotes:
            st.markdown(f"> {md(quote)}")
st.markdown(f"**Terms that set {md(names[message_id])} apart from the other messages' notes**")
st.dataframe(cache.run(feedback.distinctive_terms, filters, message_id), hide_index=True, width="stretch",
             column_config={"term": "Term", "notes_here": "Notes",
                            "share_here": st.column_config.NumberColumn("Share here", format="percent"),
                            "share_elsewhere": st.column_config.NumberColumn("Share elsewhere", format="percent"),
                            "ratio": st.column_config.NumberColumn("Ratio", format="%.1f")})
st.caption("Themes: TF-IDF over every note, factorised per message with NMF; each theme is named by its top terms "
           "and illustrated by the notes that load most on it.")

st.subheader("Who sends feedback")
st.caption(settings.HR_NOTE)
min_size = settings.min_group_size()
volume = cache.run(feedback.feedback_volume, filters, min_size)
st.plotly_chart(figures.feedback_volume(volume), width="stretch")
quiet = volume.loc[volume["is_quiet"], "team"].tolist()
if quiet:
    st.warning("Sending far less feedback than the median team: " + md_join(quiet) + ".")
hidden = volume.loc[volume["is_suppressed"], "team"].tolist()
if hidden:
    st.caption(f"Hidden (fewer than {min_size} reps): " + md_join(hidden) + ".")
