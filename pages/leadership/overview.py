"""Overview, the landing page for leadership: headline tiles, adoption against plan, messages needing attention."""

import streamlit as st

from analytics import auth, cache
from analytics.figures import adoption as figures
from analytics.filters import Filters
from analytics.metrics.reception import NEUTRAL_RATING
from analytics.views import digest, feedback, lift, overview, retention
from pages._ui import after_paint, md, page_context, pct, pp

page = page_context("overview")
filters, period, now = page.filters, page.landing_period, page.period
previous = period.previous()
if period.is_quarter:
    st.caption(f"Tiles compare {period.label()} ({period.start:%d %b} to {period.end:%d %b %Y}), the last full "
               f"quarter, with {previous.label()}. Pick other dates in the sidebar; the chart and the messages "
               f"needing attention are as of {now.end:%d %b %Y}.")
else:
    st.caption(f"Period {period.start:%d %b %Y} to {period.end:%d %b %Y}, compared with the {period.days} days "
               f"before ({previous.start:%d %b %Y} to {previous.end:%d %b %Y}).")

model = cache.run(retention.retention_model)
view = cache.run(overview.landing, filters, period, model, now.end)
tiles = view["tiles"]


def shown(row) -> tuple[str, str | None]:
    """A tile's value and change as text."""
    if not row.is_available:
        return "not available", None
    if row.unit == "count":
        return f"{row.value:,.0f}", (f"{row.delta:+,.0f}" if row.delta == row.delta else None)
    if row.unit == "rating":
        value = "–" if row.value != row.value else f"{row.value:.2f}"
        return value, (f"{row.delta:+.2f}" if row.delta == row.delta else None)
    return pct(row.value), (pp(100 * row.delta) if row.delta == row.delta else None)


for column, row in zip(st.columns(len(tiles)), tiles.itertuples()):
    value, delta = shown(row)
    note = row.help + (f" Based on {row.n:,} {row.basis} ({row.n_previous:,} in the period before)."
                       if row.is_available else
                       " The forgetting model could not be fitted (too few repeat quiz attempts).")
    column.metric(row.label, value, delta, help=note, border=True)

trend, plan = view["trend"], view["plan"]
if trend.empty:
    st.info("No message has launched with reps in scope for these filters yet.")
else:
    st.plotly_chart(figures.adoption_trend(trend, plan, page.colors), width="stretch")

st.subheader("Messages that need attention")
retained = view["retained"]
# A team, region, manager, segment or rep scope is a part of the company: compare its lift with the whole.
narrowed = bool(filters.teams or filters.regions or filters.managers or filters.segments) or filters.rep_ids is not None


def attention_list() -> None:
    """The messages needing attention: the lift is stored for the default view, refitted for any other."""
    reception = cache.run(feedback.reception, filters)
    lifts = cache.run(lift.message_impact, filters, now.end)
    whole = (cache.run(lift.message_impact, Filters(start=filters.start, end=filters.end, messages=filters.messages),
                       now.end) if narrowed else None)
    attention = overview.needs_attention(plan, retained if model is not None else None, reception, lifts, whole)
    if not attention["is_alarm"].any():
        st.success("No message is behind its plan, fading, poorly received or lowering win rates.")
    for row in attention.itertuples():
        text = f"**{md(row.message_name)}**: " + "; ".join(row.reasons) + "."
        if row.is_alarm:
            st.warning(text)
        else:
            st.info(text, icon=":material/help:")


if narrowed or page.dates_chosen:           # the lift of another selection is fitted on demand: after the tiles
    after_paint(("attention", filters, now.end), attention_list, "the lift for these filters")
else:
    attention_list()
notes = [f"Behind plan: certified share below a straight line from launch to the adoption target on its date. "
         f"Fading: under {retention.FADING_SHARE:.0%} of certified reps expected to score at least the retention "
         f"target. Poor reception: the 95% interval of the mean rating is below {NEUTRAL_RATING:.0f}. "
         "Negative lift: the 95% interval of the adjusted lift is below zero, with moderate or strong evidence "
         "(a directional result is shown as a note, not an alarm)."]
if model is None:
    notes.append("Retention is not available: too few repeat quiz attempts to fit the forgetting model.")
st.caption(" ".join(notes))

# The weekly digest is company-wide, like the scorecard: offered to those who may open the scorecard.
if auth.can_open(page.user, "scorecard"):
    week = digest.last_week(page.today)
    st.subheader("Weekly digest")
    st.caption(f"One page per message for {week}: adoption against plan, reinforcement due, the lift with its "
               "evidence, new feedback themes with quotes, what needs attention. The same as "
               f"`python -m analytics digest --week {week}`, which can also e-mail it or post it to Slack or Teams.")
    left, right = st.columns(2)
    # Built when clicked (it fits the lift at the week's end): opening the Overview stays fast.
    left.download_button("Download the digest (HTML)", lambda: cache.run(digest.digest_text, week, "html", model),
                         file_name=f"huddle-digest-{week}.html", mime="text/html", key="digest_html",
                         icon=":material/download:", on_click="ignore")
    right.download_button("Download the digest (Markdown)", lambda: cache.run(digest.digest_text, week, "md", model),
                          file_name=f"huddle-digest-{week}.md", mime="text/markdown", key="digest_md",
                          icon=":material/download:", on_click="ignore")
