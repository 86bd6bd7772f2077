"""The message report: one JSON-ready dict per run (CLI `report --json`, exports), a text table and a scorecard frame."""

from __future__ import annotations

import json
from datetime import date

import pandas as pd

from analytics.db import sql
from analytics.estimators.lift import N_BOOT, ImputationLift
from analytics.metrics.deals import DEFINITIONS
from analytics.metrics.evidence import describe_lift
from analytics.metrics.missing import missing
from analytics.views.adoption import certification
from analytics.views.feedback import feedback_by_message, note_themes
from analytics.views.lift import message_lift

DATA_KEYS = ("opportunities", "closed_deals", "reps", "quiz_attempts", "feedback", "unmatched_owners")
MESSAGE_KEYS = (
    "message", "launch_date", "target_segment", "reps_in_scope", "reps_certified", "certification_rate",
    "median_days_to_certify", "closed_deals_adopted", "closed_deals_not_adopted", "reps_adopted",
    "reps_not_adopted", "win_rate_adopted", "win_rate_not_adopted", "naive_lift_pp", "adjusted_lift_pp",
    "ci_low_pp", "ci_high_pp", "evidence", "method", "feedback_count", "avg_rating", "top_themes",
)
RATE_DIGITS = 4
PP_DIGITS = 2
TOP_THEMES = 3
# Added per message when the robust estimator runs (`report --estimator robust_imputation`); the default adds none.
ROBUST_KEYS = ("diagnostics", "event_study")


def build_report(con, as_of: date | None = None, n_boot: int = N_BOOT, estimator: str = ImputationLift.name) -> dict:
    """Adoption, naive and adjusted lift, evidence and field feedback per message, as of a date (default today);
    `estimator` names the adjusted lift's (analytics.views.lift.LIFT_ESTIMATORS)."""
    as_of = as_of or date.today()
    counts = con.execute(sql("queries/data_counts.sql"), {"as_of": as_of}).df().iloc[0]
    lifts = message_lift(con, as_of=as_of, n_boot=n_boot, estimator=estimator)
    cert = certification(con, as_of=as_of).set_index("message_id")
    feedback = feedback_by_message(con, as_of=as_of).set_index("message_id")
    theme_rows = note_themes(con, as_of=as_of)
    labels = theme_rows.groupby("message_id")["label"].agg(lambda s: list(s.head(TOP_THEMES)))

    messages = []
    for row in lifts.itertuples(index=False):
        c = cert.loc[row.message_id] if row.message_id in cert.index else None
        f = feedback.loc[row.message_id] if row.message_id in feedback.index else None
        messages.append({
            "message": row.message_name,
            "launch_date": _iso(row.launch_date),
            "target_segment": _value(row.target_segment),
            "reps_in_scope": _int(c["reps_in_scope"]) if c is not None else 0,
            "reps_certified": _int(c["reps_certified"]) if c is not None else 0,
            "certification_rate": _round(c["certification_rate"], RATE_DIGITS) if c is not None else None,
            "median_days_to_certify": _round(c["median_days_to_certify"], 1) if c is not None else None,
            "closed_deals_adopted": _int(row.closed_deals_adopted),
            "closed_deals_not_adopted": _int(row.closed_deals_not_adopted),
            "reps_adopted": _int(row.reps_adopted),
            "reps_not_adopted": _int(row.reps_not_adopted),
            "win_rate_adopted": _round(row.win_rate_adopted, RATE_DIGITS),
            "win_rate_not_adopted": _round(row.win_rate_not_adopted, RATE_DIGITS),
            "naive_lift_pp": _round(row.naive_lift_pp, PP_DIGITS),
            "adjusted_lift_pp": _round(row.adjusted_lift_pp, PP_DIGITS),
            "ci_low_pp": _round(row.ci_low_pp, PP_DIGITS),
            "ci_high_pp": _round(row.ci_high_pp, PP_DIGITS),
            "evidence": row.evidence,
            "method": row.method,
            "feedback_count": _int(f["feedback_count"]) if f is not None else 0,
            "avg_rating": _round(f["avg_rating"], 2) if f is not None else None,
            "top_themes": labels.get(row.message_id, []),
        })
        if "diagnostics" in lifts:
            messages[-1]["diagnostics"] = json.loads(row.diagnostics)      # short sentences on what limits it
            messages[-1]["event_study"] = [_event_row(e) for e in json.loads(row.event_study)]
    return {"as_of": as_of.isoformat(), "data": {k: _int(counts[k]) for k in DATA_KEYS}, "messages": messages}


def scorecard_frame(report: dict) -> pd.DataFrame:
    """The report's messages as a flat table (themes joined by '; '), e.g. for CSV download."""
    rows = [{**m, "top_themes": "; ".join(m["top_themes"])} for m in report["messages"]]
    return pd.DataFrame(rows, columns=list(MESSAGE_KEYS))


def format_report_table(report: dict) -> str:
    """A readable text table of the report, one line per message, then one plain sentence each."""
    d = report["data"]
    lines = [
        f"Huddle message report as of {report['as_of']}",
        f"Data: {d['opportunities']:,} opportunities ({d['closed_deals']:,} closed), {d['reps']:,} reps, "
        f"{d['quiz_attempts']:,} quiz attempts, {d['feedback']:,} feedback entries, "
        f"{d['unmatched_owners']:,} unmatched CRM owners",
        "",
    ]
    if not report["messages"]:
        return "\n".join(lines + ["No messages in the catalog yet."])
    header = ("Message", "Launch", "Certified", "Deals adopted/other", "Win adopted", "Win other",
              "Naive pp", "Adjusted pp (95% CI)", "Evidence", "Rating")
    table = [header]
    for m in report["messages"]:
        table.append((
            m["message"] + (f" [{m['target_segment']}]" if m["target_segment"] else ""),
            m["launch_date"] or "-",
            f"{m['reps_certified']}/{m['reps_in_scope']} ({_pct(m['certification_rate'])})",
            f"{m['closed_deals_adopted']:,}/{m['closed_deals_not_adopted']:,}",
            _pct(m["win_rate_adopted"]), _pct(m["win_rate_not_adopted"]),
            _pp(m["naive_lift_pp"]),
            f"{_pp(m['adjusted_lift_pp'])} ({_pp(m['ci_low_pp'])} to {_pp(m['ci_high_pp'])})"
            if m["adjusted_lift_pp"] is not None else "-",
            m["evidence"],
            f"{m['avg_rating']:.1f} (n={m['feedback_count']})" if m["avg_rating"] is not None else "-",
        ))
    widths = [max(len(str(r[i])) for r in table) for i in range(len(header))]
    for k, r in enumerate(table):
        lines.append("  ".join(str(v).ljust(w) for v, w in zip(r, widths)).rstrip())
        if k == 0:
            lines.append("  ".join("-" * w for w in widths))
    lines.append("")
    for m in report["messages"]:
        lines.append(f"{m['message']}: {describe_lift(m)}")
        if m["top_themes"]:
            lines.append(f"  Field themes: {'; '.join(m['top_themes'])}")
        for note in m.get("diagnostics", []):
            lines.append(f"  Check: {note}")
    lines += ["", f"Adjusted = {report['messages'][0]['method']} (see README: how the numbers are computed).",
              DEFINITIONS["adopted"], DEFINITIONS["win_rate"]]
    return "\n".join(lines)


def _event_row(row: dict) -> dict:
    """One event-study bin (lift by months relative to certification) with its figures rounded like the report's."""
    return {k: _round(v, PP_DIGITS) if k.endswith("_pp") else v for k, v in row.items()}


def _round(x, digits: int):
    return None if missing(x) else round(float(x), digits)


def _int(x) -> int:
    return 0 if missing(x) else int(x)


def _value(x):
    return None if missing(x) else str(x)


def _iso(x) -> str | None:
    return None if missing(x) else pd.Timestamp(x).date().isoformat()


def _pct(x) -> str:
    return "-" if x is None else f"{100 * x:.0f}%"


def _pp(x) -> str:
    return "-" if x is None else f"{x:+.1f}"
