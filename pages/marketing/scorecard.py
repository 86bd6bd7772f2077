"""Message scorecard: one row per message -- adoption, retention, adjusted lift with interval and evidence, rating."""

import streamlit as st

from analytics import cache, settings
from analytics.figures import tables
from analytics.metrics.deals import DEFINITIONS
from analytics.metrics.evidence import verdict
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

people = scorecard.for_people(shown.drop(columns=["message_id", "method"]))
H = scorecard.HEADERS
verdicts = [verdict(r.adjusted_lift_pp, r.ci_low_pp, r.ci_high_pp, r.evidence) for r in people.itertuples()]
st.dataframe(
    tables.for_people(people, scorecard.KINDS, verdicts, highlight=scorecard.ANSWER_COLUMNS[1:]), hide_index=True,
    width="stretch",
    column_config={
        **{column: H[column] for column in people.columns},
        "message": st.column_config.TextColumn(H["message"], pinned=True),
        "verdict": st.column_config.TextColumn(
            H["verdict"], pinned=True, help="Red: lowers win rates, blue: raises them (interval excluding zero with "
                                            "moderate or strong evidence); uncertain otherwise."),
        "adjusted_lift_pp": st.column_config.NumberColumn(
            H["adjusted_lift_pp"], help="Win-rate points gained by certified reps' deals against comparable deals."),
        "retained_share": st.column_config.NumberColumn(
            H["retained_share"],
            help=f"Certified reps expected to score at least {settings.RETENTION_TARGET:.0%} today (forgetting model)."),
        "share_forgotten_30d": st.column_config.NumberColumn(
            H["share_forgotten_30d"],
            help="Share of a passed score lost on retests 22-38 days later, measured (the folk figure is 90%)."),
        "summary": st.column_config.TextColumn(H["summary"], width="large"),
    })
# Full precision, human headers, answer columns first (the CLI's report keeps its keys).
st.download_button("Download the scorecard (CSV)", write_csv(tables.human_csv_frame(people, H)),
                   file_name=f"huddle-scorecard-{as_of}.csv", mime="text/csv", key="scorecard_download",
                   icon=":material/download:", on_click="ignore")

for row in shown.itertuples():
    st.markdown(f"**{md(row.message)}**: {row.summary}")

notes = [f"Adjusted lift: {card['method'].iloc[0]}; 95% intervals resample reps. See the Win-rate impact page "
         "for the forest plot, the win rate over time and the strata.",
         DEFINITIONS["in_scope"], DEFINITIONS["adopted"], DEFINITIONS["win_rate"]]
if model is None:
    notes.append("Retention columns are empty: too few repeat quiz attempts to fit the forgetting model.")
st.caption(" ".join(notes))
