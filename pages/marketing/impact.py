"""Win-rate impact: naive vs adjusted lift per message, win rate over time by adoption, the event study around
certification with its pre-trend test, strata and definitions."""

import streamlit as st

from analytics import cache
from analytics.estimators.lift import N_BOOT
from analytics.figures import impact as figures
from analytics.figures import tables
from analytics.metrics.deals import DEFINITIONS
from analytics.metrics.evidence import describe_lift, evidence_note, verdict
from analytics.views import impact, lift, scorecard
from analytics.safe_csv import write_csv
from pages._ui import md, page_context, pct
from pages._ui._links import linked_choice, publish_choice

page = page_context("impact")
filters, as_of = page.filters, page.as_of
lifts = cache.run(lift.message_impact, filters, as_of)

st.caption(md(impact.scope_caption(filters, as_of)) + " Naive: win rate of adopted minus other in-scope deals. "
           "Adjusted: each adopted deal against the win probability it would have had without adoption, from the same rep's "
           "other deals, the month and the deal mix.")
if lifts.empty:
    st.info("No message matches the message filter." if filters.messages else
            "No messages in the catalog yet: upload the message catalog on the **Data** page.")
    st.stop()

st.plotly_chart(figures.forest_plot(lifts), width="stretch")
for row in lifts.itertuples():
    st.markdown(f"**{md(row.message_name)}**: {row.summary}")

table = impact.lift_table(lifts)
with st.expander("Lift per message (table)"):
    shown = table.drop(columns=["summary", "method"]).assign(
        target_segment=table["target_segment"].where(table["target_segment"].notna(), scorecard.ALL_DEALS))
    verdicts = [verdict(r.adjusted_lift_pp, r.ci_low_pp, r.ci_high_pp, r.evidence) for r in shown.itertuples()]
    kinds = {**scorecard.KINDS, "naive_ci_low_pp": "pp", "naive_ci_high_pp": "pp"}
    st.dataframe(tables.for_people(shown, kinds, verdicts, ("adjusted_lift_pp", "ci_low_pp", "ci_high_pp", "evidence")),
                 hide_index=True, width="stretch", column_config={
        "message_name": "Message", "launch_date": "Launch", "target_segment": "Target segment",
        "closed_deals_adopted": "Deals adopted", "closed_deals_not_adopted": "Deals not adopted",
        "reps_adopted": "Reps adopted", "reps_not_adopted": "Reps not adopted",
        "win_rate_adopted": "Win rate adopted", "win_rate_not_adopted": "Win rate other",
        "naive_lift_pp": "Naive lift", "naive_ci_low_pp": "Naive low", "naive_ci_high_pp": "Naive high",
        "adjusted_lift_pp": "Adjusted lift", "ci_low_pp": "Adjusted low", "ci_high_pp": "Adjusted high",
        "adjusted_deals": "Deals in adjusted figure", "evidence": "Evidence"})
    st.download_button("Download the lifts (CSV)", write_csv(table), file_name=f"huddle-lift-{as_of}.csv",
                       mime="text/csv", key="impact_download", icon=":material/download:", on_click="ignore")



@st.fragment
def message_detail() -> None:
    """One message in detail: choosing another message reruns only this part, not the lifts above."""
    st.subheader("One message in detail")
    names = dict(zip(lifts["message_id"], lifts["message_name"]))
    linked_choice("impact_message", "focus", names)           # a shared link names the message in detail
    message_id = st.selectbox("Message", list(names), format_func=lambda m: names.get(m, m), key="impact_message")
    publish_choice("impact_message", "focus")
    row = lifts.set_index("message_id").loc[message_id]
    st.info(describe_lift(row.to_dict()), icon=":material/insights:")

    trend = cache.run(impact.win_rate_trend, message_id, filters, as_of)
    if trend.empty:
        st.info("No closed deals in this message's scope for these filters.")
    else:
        st.plotly_chart(figures.win_rate_chart(trend, names[message_id], row["launch_date"]), width="stretch")
        st.caption(f"Months with fewer than {figures.MIN_PERIOD_DEALS} closed deals in a group are left out. "
                   f"Adopted: win rate {pct(row['win_rate_adopted'])} on {int(row['closed_deals_adopted']):,} deals; "
                   f"not adopted: {pct(row['win_rate_not_adopted'])} on {int(row['closed_deals_not_adopted']):,}.")

    st.markdown("**Before and after certification**: the lift by months relative to each rep's certification. The "
                "months before it show whether the reps' deals were already moving before they certified.")
    # stored for the default view; a filtered view refits the robust estimator for this message (seconds)
    with st.spinner("Fitting the event study for this selection..."):
        study = cache.run(impact.event_study, message_id, filters, as_of)
    if study["rows"].empty:
        st.info("Too few deals around certification to show the lift month by month for these filters.")
    else:
        st.plotly_chart(figures.event_study_plot(study["rows"], names[message_id]), width="stretch")
        st.markdown(impact.pretrend_words(study["pretrend_p"]))
        together = (f" Certified together with {md(study['joint_with'])}: the points are their joint effect."
                    if study["joint_with"] else "")
        st.caption("Each point compares deals of reps that many months from certifying with comparable deals (same "
                   "rep, month, team and deal mix), from the robust estimator; bars are 95% intervals resampling reps. "
                   "Before certification each point is measured against the earliest months before it that have "
                   "deals (not drawn) and should sit near zero."
                   + together)

    st.markdown("**Why naive and adjusted differ**: win rates of adopted and other deals within strata. Shares show "
                "where each group's deals come from.")
    strata = cache.run(impact.strata, message_id, filters, as_of)
    note = impact.why_naive_differs(strata, row["naive_lift_pp"])
    if note:
        st.markdown(note)
    strata_config = {
        "stratum": "Stratum", "deals_adopted": "Deals adopted", "deals_not_adopted": "Deals not adopted",
        "win_rate_adopted": st.column_config.NumberColumn("Win rate adopted", format="percent"),
        "win_rate_not_adopted": st.column_config.NumberColumn("Win rate other", format="percent"),
        "lift_pp": st.column_config.NumberColumn("Difference (pp)", format="%+.1f"),
        "share_of_adopted": st.column_config.NumberColumn("Share of adopted deals", format="percent"),
        "share_of_not_adopted": st.column_config.NumberColumn("Share of other deals", format="percent")}
    for by, label in impact.STRATA.items():
        st.markdown(f"*By {label.lower()}*")
        st.dataframe(strata[strata["by"] == by].drop(columns=["message_id", "by"]), hide_index=True,
                     width="stretch", column_config=strata_config)
    st.caption("Rep ability: the rep's win rate on deals closed before the launch, shrunk towards the average "
               f"(as if {lift.ABILITY_PRIOR_DEALS} average deals were added), cut into thirds: low, middle, high; "
               "unknown: no deal before launch.")

    with st.expander("Definitions and method", expanded=False):
        for key, text in DEFINITIONS.items():
            st.markdown(f"- **{key.replace('_', ' ')}**: {text}")
        st.markdown(f"- **Adjusted lift**: {row['method']}. 95% interval: percentiles of {N_BOOT} bootstrap "
                    "replicates resampling reps.")
        st.markdown(f"- {evidence_note()}")


message_detail()
