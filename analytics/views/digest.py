"""The weekly digest: one page per message for a feedback session as messages roll out (CLI, Overview download).

Per message, for an ISO week (Monday to Sunday): adoption at the week's end against plan and the reps certified in
the week; reinforcement due (the Retention page's list on the week's last day); the adjusted lift with its evidence
tier; themes of the field notes dated in the week, with quotes; and the reasons it needs attention (Overview rules).
Rendered as Markdown or as a self-contained HTML page; every data value is escaped for the format it lands in.
"""

from __future__ import annotations

import html
import re
from datetime import date, timedelta

from analytics.estimators.memory import MemoryModel
from analytics.filters import Filters
from analytics.metrics.evidence import describe_lift
from analytics.metrics.missing import missing
from analytics.metrics.themes import themes_from_notes
from analytics.views import adoption, feedback, lift, overview, retention

WEEK = re.compile(r"^(\d{4})-W(\d{2})$")
THEMES_PER_MESSAGE = 3


def week_bounds(week: str) -> tuple[date, date]:
    """'2026-W49' -> (Monday, Sunday) of that ISO week; ValueError for anything else."""
    found = WEEK.match(week or "")
    if not found:
        raise ValueError(f"a week looks like 2026-W49, not {week!r}")
    year, number = int(found.group(1)), int(found.group(2))
    monday = date.fromisocalendar(year, number, 1)       # ValueError for week 54 and the like
    return monday, monday + timedelta(days=6)


def last_week(today: date) -> str:
    """The last complete ISO week before today's, as 'YYYY-Www' (what a Monday digest covers)."""
    year, number, _ = (today - timedelta(days=7)).isocalendar()
    return f"{year}-W{number:02d}"


def weekly_digest(con, week: str, model: MemoryModel | None = None, n_boot: int = lift.N_BOOT) -> dict:
    """The digest of one ISO week: per message adoption vs plan, retention due, lift and tier, new themes, attention."""
    start, end = week_bounds(week)
    everyone = Filters()
    plan = adoption.plan_status(con, everyone, end).set_index("message_id")
    before = adoption.plan_status(con, everyone, start - timedelta(days=1)).set_index("message_id")
    lifts = lift.message_impact(con, everyone, end, n_boot=n_boot)
    due = retention.reinforcement(con, everyone, end, model)
    notes = themes_from_notes(feedback.entries(con, Filters(start=start, end=end)), quotes=2)
    retained = retention.retention_share(con, everyone, (end,), model) if model is not None else None
    attention = overview.needs_attention(plan.reset_index(), retained, feedback.reception(con), lifts)
    reasons = dict(zip(attention["message_id"], zip(attention["reasons"], attention["is_alarm"])))
    messages = []
    for r in lifts.itertuples():
        p = plan.loc[r.message_id] if r.message_id in plan.index else None
        mine = due[due["message_id"] == r.message_id]
        themes = notes[notes["message_id"] == r.message_id].head(THEMES_PER_MESSAGE)
        said, alarm = reasons.get(r.message_id, ([], False))
        messages.append({
            "message_id": r.message_id, "message": r.message_name,
            "reps_in_scope": _int(p["reps_in_scope"]) if p is not None else 0,
            "reps_certified": _int(p["reps_certified"]) if p is not None else 0,
            "certified_this_week": (_int(p["reps_certified"]) - _int(before.loc[r.message_id, "reps_certified"])
                                    if p is not None and r.message_id in before.index else 0),
            "certification_rate": _num(p["certification_rate"]) if p is not None else None,
            "planned_share": _num(p["planned_share"]) if p is not None else None,
            "is_behind_plan": bool(p["is_behind_plan"]) if p is not None else False,
            "reinforcement_due": len(mine),
            "reinforcement_by_status": ({str(k): int(v) for k, v in mine["status"].value_counts().items()}
                                        if "status" in mine.columns else {}),
            "adjusted_lift_pp": _num(r.adjusted_lift_pp), "ci_low_pp": _num(r.ci_low_pp),
            "ci_high_pp": _num(r.ci_high_pp), "evidence": r.evidence,
            "lift_sentence": describe_lift(r._asdict()),
            "themes": [{"label": t.label, "notes": int(t.notes), "quotes": list(t.quotes)} for t in themes.itertuples()],
            "attention": list(said), "needs_attention": bool(alarm),
        })
    return {"week": week, "start": start.isoformat(), "end": end.isoformat(),
            "retention_available": model is not None, "messages": messages}


def digest_text(con, week: str, fmt: str = "md", model: MemoryModel | None = None) -> str:
    """The digest of a week as Markdown ("md") or HTML ("html"), e.g. for a download."""
    digest = weekly_digest(con, week, model)
    return to_html(digest) if fmt == "html" else to_markdown(digest)


def to_markdown(digest: dict) -> str:
    """The digest as Markdown (data values escaped so a name cannot add links or formatting)."""
    lines = [f"# Huddle weekly digest, {digest['week']} ({_day(digest['start'])} to {_day(digest['end'])})", ""]
    flagged = [m["message"] for m in digest["messages"] if m["needs_attention"]]
    lines += [f"**Needing attention:** {', '.join(_md(n) for n in flagged) if flagged else 'none'}.", ""]
    for m in digest["messages"]:
        lines += [f"## {_md(m['message'])}", ""] + [f"- {item}" for item in _items(m, _md)] + [""]
    if not digest["messages"]:
        lines.append("No messages in the catalog yet.")
    return "\n".join(lines).rstrip() + "\n"


def to_html(digest: dict) -> str:
    """The digest as one self-contained HTML page (every data value escaped)."""
    esc = html.escape
    flagged = [esc(m["message"]) for m in digest["messages"] if m["needs_attention"]]
    parts = [f"<h1>Huddle weekly digest, {esc(digest['week'])} ({_day(digest['start'])} to {_day(digest['end'])})</h1>",
             f"<p><strong>Needing attention:</strong> {', '.join(flagged) if flagged else 'none'}.</p>"]
    for m in digest["messages"]:
        items = "".join(f"<li>{item}</li>" for item in _items(m, esc))
        parts.append(f"<section><h2>{esc(m['message'])}</h2><ul>{items}</ul></section>")
    if not digest["messages"]:
        parts.append("<p>No messages in the catalog yet.</p>")
    style = ("body{font-family:system-ui,sans-serif;max-width:46rem;margin:2rem auto;line-height:1.45}"
             "h2{margin-top:1.6rem;border-bottom:1px solid #ccc}blockquote{margin:.2rem 0 .2rem 1rem;color:#555}")
    return (f"<!doctype html><html><head><meta charset=\"utf-8\"><title>Huddle digest {esc(digest['week'])}</title>"
            f"<style>{style}</style></head><body>{''.join(parts)}</body></html>\n")


def _items(m: dict, esc) -> list[str]:
    """The bullet points of one message, data values passed through `esc`."""
    items = []
    if m["certification_rate"] is None or m["reps_in_scope"] == 0:
        items.append("Adoption: no reps in scope yet.")
    else:
        plan = (f", plan {m['planned_share']:.0%} by now" if m["planned_share"] is not None else "")
        behind = " (behind plan)" if m["is_behind_plan"] else ""
        items.append(f"Adoption: {m['certification_rate']:.0%} of {m['reps_in_scope']:,} targeted reps certified"
                     f"{plan}{behind}; {m['certified_this_week']:+,} this week.")
    by_status = ", ".join(f"{n:,} {esc(s)}" for s, n in m["reinforcement_by_status"].items())
    items.append(f"Retention: {m['reinforcement_due']:,} reps due for a refresher" + (f" ({by_status})." if by_status
                                                                                        else "."))
    items.append(f"Win rates: {esc(m['lift_sentence'])}")
    if m["themes"]:
        for t in m["themes"]:
            quotes = " ".join(f"“{esc(q)}”" for q in t["quotes"])
            items.append(f"New field theme: {esc(t['label'])} ({t['notes']} notes). {quotes}".rstrip())
    else:
        items.append("New field themes: none this week.")
    for reason in m["attention"]:
        items.append(f"Needs attention: {esc(reason)}.")
    return items


def _md(text) -> str:
    """Escape what lets a data value add formatting or links in Markdown (and in Slack's and Teams' text)."""
    return re.sub(r"([\\`*_\[\]<>|])", r"\\\1", str(text))


def _day(iso: str) -> str:
    return f"{date.fromisoformat(iso):%d %b %Y}"


def _num(x) -> float | None:
    return None if missing(x) else float(x)


def _int(x) -> int:
    return 0 if missing(x) else int(x)

