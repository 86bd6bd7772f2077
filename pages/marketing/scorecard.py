"""Message scorecard: one row per message -- adoption, retention, adjusted lift with interval and evidence, rating."""

import streamlit as st

from analytics import cache, settings
from analytics.metrics.deals import DEFINITIONS
from analytics.views import retention, scorecard
from analytics.safe_csv import write_csv
from pages._ui import md, page_context

page = page_context("scorecard")
filters, as_of = page.filters, page.as_of
model = cache.run(retention.retention_model)
card = cache.run(scorecard.message_scorecard, as_of, filters.messages, model)
st.caption(f"As of {as_of:%d %b %Y} (the end of the selected date range), across the whole organization as in "
           "`python -m analytics report`: the team, region, manager and segment filters do not apply here; "
           "the message filter does.")
if card.empty:
    st.info("No message matches the message filter." if filters.messages else
            "No messages in the catalog yet: upload the message catalog on the **Data** page.")
    st.stop()

left, right = st.columns([3, 1])
by = left.segmented_control("Sort by", list(scorecard.SORTS), default="Launch order", key="scorecard_sort") \
    or "Launch order"
descending = right.toggle("Largest first", value=True, key="scorecard_descending")
shown = scorecard.sort_scorecard(card, by, descending)

st.dataframe(
    shown.drop(columns=["message_id", "method"]), hide_index=True, width="stretch",
    column_config={
        "message": st.column_config.TextColumn("Message", pinned=True),
        "launch_date": "Launch", "target_segment": "Target segment",
        "reps_in_scope": "Reps in scope", "reps_certified": "Certified",
        "certification_rate": st.column_config.NumberColumn("Certified (%)", format="percent"),
        "median_days_to_certify": st.column_config.NumberColumn("Median days to certify", format="%.0f"),
        "reps_retained": "Retained reps",
        "retained_share": st.column_config.NumberColumn(
            "Retained (%)", format="percent",
            help=f"Certified reps expected to score at least {settings.RETENTION_TARGET:.0%} today (forgetting model)."),
        "share_forgotten_30d": st.column_config.NumberColumn(
            "Forgotten after 30 days", format="percent",
            help="Share of a passed score lost on retests 22-38 days later, measured (the folk figure is 90%)."),
        "retests_30d": "Retests at ~30 days",
        "closed_deals_adopted": "Deals adopted", "closed_deals_not_adopted": "Deals not adopted",
        "reps_adopted": "Reps adopted", "reps_not_adopted": "Reps not adopted",
        "win_rate_adopted": st.column_config.NumberColumn("Win rate adopted", format="percent"),
        "win_rate_not_adopted": st.column_config.NumberColumn("Win rate other", format="percent"),
        "naive_lift_pp": st.column_config.NumberColumn("Naive lift (pp)", format="%+.1f"),
        "adjusted_lift_pp": st.column_config.NumberColumn("Adjusted lift (pp)", format="%+.1f"),
        "ci_low_pp": st.column_config.NumberColumn("Lift low (pp)", format="%+.1f"),
        "ci_high_pp": st.column_config.NumberColumn("Lift high (pp)", format="%+.1f"),
        "evidence": "Evidence", "feedback_count": "Feedback",
        "avg_rating": st.column_config.NumberColumn("Rating (1-5)", format="%.2f"),
        "top_themes": "Field themes", "summary": st.column_config.TextColumn("In words", width="large"),
    })
st.download_button("Download the scorecard (CSV)", write_csv(shown), file_name=f"huddle-scorecard-{as_of}.csv",
                   mime="text/csv", key="scorecard_download", icon=":material/download:", on_click="ignore")

for row in shown.itertuples():
    st.markdown(f"**{md(row.message)}**: {row.summary}")

notes = [f"Adjusted lift: {card['method'].iloc[0]}; 95% intervals resample reps. See the Win-rate impact page "
         "for the forest plot, the win rate over time and the strata.",
         DEFINITIONS["in_scope"], DEFINITIONS["adopted"], DEFINITIONS["win_rate"]]
if model is None:
    notes.append("Retention columns are empty: too few repeat quiz attempts to fit the forgetting model.")
st.caption(" ".join(notes))
