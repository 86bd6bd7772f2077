"""Data health: people and messages that match nothing, stale uploads, deals missing what the analyses need.

Confirming that an unmatched person is a roster rep writes a one-row CRM users file (`Id, Name, Email`: the
unmatched name with the roster rep's email) through the normal ingestion, so identity resolution links the name to
that rep, the link shows in the upload history, and undoing it is undoing that upload.
"""

from __future__ import annotations

import csv
import hashlib
import re
import tempfile
from datetime import date, datetime
from difflib import SequenceMatcher
from pathlib import Path

import pandas as pd

from ..db import sql
from ..model.catalog import key as text_key
from .errors import IngestError
from .kinds import KINDS
from .load import ingest_file, undo

MIN_SUGGESTION_SCORE = 0.6
# A suggestion is chosen in advance only from this likeness up (same last name and first initial scores 0.9);
# below it ("Omar Tovalin" -> "Omar Ito" scores 0.70) a person picks the match, or nobody is linked.
MIN_PRESELECT_SCORE = 0.85


def roster(con) -> pd.DataFrame:
    """Roster reps that a person can be matched to."""
    return con.execute("SELECT rep_id, rep_name, rep_email, team FROM reps WHERE in_roster "
                       "ORDER BY rep_name, rep_id").df()


def _tokens(text: str | None) -> list[str]:
    """The normalized words of a name."""
    return text_key(text).split() if isinstance(text, str) and text else []


def _name_of_email(email: str | None) -> list[str]:
    """Name-like tokens of an email's local part: jon.smith@x -> [jon, smith]."""
    if not isinstance(email, str) or "@" not in email:
        return []
    return [t for t in re.split(r"[^a-z]+", email.split("@", 1)[0].lower()) if t]


def similarity(name: str | None, email: str | None, rep_name: str | None, rep_email: str | None) -> tuple[float, str]:
    """How likely a person (name and/or email) is a roster rep, 0-1, and why."""
    best, why = 0.0, ""
    theirs = _tokens(name) if isinstance(name, str) and "@" not in name else _name_of_email(email or name)
    ours = _tokens(rep_name)
    if isinstance(email, str) and isinstance(rep_email, str) and "@" in email and "@" in rep_email:
        if email.split("@")[0].lower() == rep_email.split("@")[0].lower():
            best, why = 0.95, "same email name, other domain"
    if theirs and ours:
        ratio = SequenceMatcher(None, " ".join(theirs), " ".join(ours)).ratio()
        unordered = SequenceMatcher(None, " ".join(sorted(theirs)), " ".join(sorted(ours))).ratio()
        score, reason = max((ratio, "similar name"), (unordered, "same name, other order"))
        if theirs[-1] == ours[-1] and theirs[0][:1] == ours[0][:1]:
            score, reason = max((score, reason), (0.9, "same last name and first initial"))
        if theirs[0] == ours[-1] and theirs[-1][:1] == ours[0][:1]:
            score, reason = max((score, reason), (0.88, "last name first"))
        if score > best:
            best, why = score, reason
    return round(best, 3), why


def suggest_matches(name: str | None, email: str | None, candidates: pd.DataFrame, n: int = 3) -> list[dict]:
    """The roster reps most like a person, best first, above MIN_SUGGESTION_SCORE."""
    scored = []
    for rep in candidates.itertuples(index=False):
        score, why = similarity(name, email, rep.rep_name, rep.rep_email)
        if score >= MIN_SUGGESTION_SCORE:
            scored.append({"rep_id": rep.rep_id, "rep_name": rep.rep_name, "rep_email": rep.rep_email,
                           "score": score, "why": why})
    scored.sort(key=lambda d: (-d["score"], d["rep_name"] or "", d["rep_id"]))
    return scored[:n]


def unmatched_people(con) -> pd.DataFrame:
    """People seen in the data who match no roster rep, with where they were seen and suggested roster matches."""
    people = con.execute(sql("marts/fct_unmatched_people.sql")).df()
    reps = roster(con)
    rows = []
    for p in people.itertuples(index=False):
        seen = [label for n, label in ((p.n_deals, "CRM owner"), (p.n_attempts, "quiz taker"),
                                       (p.n_feedback, "feedback author")) if n]
        suggestions = suggest_matches(p.name, p.email, reps)
        top = suggestions[0] if suggestions else {}
        linkable, blocker = True, ""
        if p.is_ambiguous:
            linkable, blocker = False, "this name belongs to more than one person; fix it in the source export"
        elif len(p.emails):
            linkable, blocker = False, ("known by an email that is not on the roster; add that email to the "
                                        "roster (or correct it in the source system)")
        elif not len(p.name_keys):
            linkable, blocker = False, "no name to link"
        rows.append({"rep_id": p.rep_id, "name": p.name, "email": p.email, "seen_as": ", ".join(seen),
                     "n_deals": int(p.n_deals), "n_attempts": int(p.n_attempts), "n_feedback": int(p.n_feedback),
                     "suggested_rep_id": top.get("rep_id"), "suggested_rep": top.get("rep_name"),
                     "suggested_email": top.get("rep_email"), "score": top.get("score"), "why": top.get("why"),
                     "can_link": linkable, "cannot_link_because": blocker,
                     "suggestions": [s["rep_id"] for s in suggestions],
                     "preselect": top.get("rep_id") if top.get("score", 0) >= MIN_PRESELECT_SCORE else None})
    cols = ["rep_id", "name", "email", "seen_as", "n_deals", "n_attempts", "n_feedback", "suggested_rep_id",
            "suggested_rep", "suggested_email", "score", "why", "can_link", "cannot_link_because", "suggestions",
            "preselect"]
    return pd.DataFrame(rows, columns=cols)


def unknown_messages(con) -> pd.DataFrame:
    """Messages named in quizzes, feedback or CRM tags that are not in the catalog, with the closest catalog name."""
    df = con.execute(sql("marts/fct_unknown_messages.sql")).df()
    catalog = [r[0] for r in con.execute("SELECT message_name FROM messages WHERE in_catalog").fetchall()]

    def closest(name):
        scored = [(SequenceMatcher(None, text_key(name), text_key(c)).ratio(), c) for c in catalog]
        scored = [s for s in scored if s[0] >= MIN_SUGGESTION_SCORE]
        return max(scored)[1] if scored else None
    df["closest_catalog_message"] = [closest(n) for n in df["message_name"]] if len(df) else []
    return df


def stale_data(con, today: date | None = None) -> pd.DataFrame:
    """Per kind: the last upload, its age in days, and whether it is older than the kind's stale_after_days."""
    today = today or date.today()
    df = con.execute(sql("marts/fct_last_uploads.sql")).df()
    ages = []
    for ts in df["last_uploaded_at"]:
        ages.append(None if ts is None or pd.isna(ts) else (today - pd.Timestamp(ts).date()).days)
    df["age_days"] = pd.array(ages, dtype="Int64")
    df["stale_after_days"] = [KINDS[k].stale_after_days for k in df["kind"]]
    df["status"] = ["never uploaded" if a is pd.NA or a is None else ("stale" if a > limit else "fresh")
                    for a, limit in zip(df["age_days"], df["stale_after_days"])]
    return df


def deal_gaps(con, today: date | None = None) -> pd.DataFrame:
    """Counts of deals missing a segment or an amount, or owned by someone not on the roster."""
    df = con.execute(sql("queries/deal_gaps.sql"), {"today": today or date.today()}).df()
    df["share"] = (df["n_deals"] / df["n_total"].where(df["n_total"] > 0)).astype("float64")
    return df


def deals_with_gaps(con, limit: int = 5000) -> pd.DataFrame:
    """The deals behind the segment and amount checks, newest first (for a download)."""
    return con.execute(sql("queries/deals_with_gaps.sql"), {"limit": int(limit)}).df()


def summary(con, today: date | None = None) -> dict:
    """Issue counts for the top of the health view."""
    people = unmatched_people(con)
    stale = stale_data(con, today)
    gaps = deal_gaps(con, today)
    return {
        "unmatched_people": int(len(people)),
        "unknown_messages": int(len(unknown_messages(con))),
        "stale_kinds": int((stale["status"] != "fresh").sum()),
        "deals_without_segment": int(gaps.loc[gaps["check_name"].str.contains("segment"), "n_deals"].sum()),
        "deals_without_amount": int(gaps.loc[gaps["check_name"].str.contains("amount"), "n_deals"].sum()),
    }


def link_file_rows(con, rep_id: str, roster_rep_id: str) -> list[dict]:
    """The CRM users rows that make an unmatched person's name resolve to a roster rep (raises IngestError if not linkable)."""
    person = con.execute("SELECT rep_name, in_roster FROM reps WHERE rep_id = $id", {"id": rep_id}).fetchone()
    if person is None:
        raise IngestError("that person is no longer in the data (already linked, or the upload was undone)")
    if person[1]:
        raise IngestError(f"{person[0]} is already on the roster")
    target = con.execute("SELECT rep_name, rep_email, in_roster FROM reps WHERE rep_id = $id",
                         {"id": roster_rep_id}).fetchone()
    if target is None or not target[2]:
        raise IngestError("choose a rep who is on the roster")
    if not target[1]:
        raise IngestError(f"{target[0]} has no email on the roster; a link needs the roster email")
    keys = con.execute("SELECT alias_key FROM rep_aliases WHERE rep_id = $id ORDER BY alias_key",
                       {"id": rep_id}).fetchall()
    emails = [k[0][6:] for k in keys if k[0].startswith("email:")]
    names = [k[0][5:] for k in keys if k[0].startswith("name:")]
    if emails:
        raise IngestError(f"{person[0]} is known by the email {emails[0]}, which is not on the roster; add it to "
                          "the roster or correct it in the source system (Huddle links names, not second emails)")
    if not names:
        raise IngestError(f"{person[0]} has no name to link")
    rows = []
    for name in names:
        display = person[0] if con.execute("SELECT name_key($n) = $k", {"n": person[0], "k": name}).fetchone()[0] \
            else name
        digest = hashlib.md5(f"{name}|{target[1].lower()}".encode()).hexdigest()[:12]
        rows.append({"Id": f"huddle-link-{digest}", "Name": display, "Email": target[1]})
    return rows


def link_person(con, rep_id: str, roster_rep_id: str, uploaded_by: str | None = None):
    """Confirm that an unmatched person is a roster rep: ingest a one-row CRM users file, verify, undo if it did not link."""
    rows = link_file_rows(con, rep_id, roster_rep_id)
    target_email = rows[0]["Email"]
    with tempfile.TemporaryDirectory(prefix="huddle-link-") as tmp:
        path = Path(tmp) / "link.csv"
        with path.open("w", encoding="utf-8", newline="") as fh:
            writer = csv.DictWriter(fh, fieldnames=["Id", "Name", "Email"], quoting=csv.QUOTE_ALL)
            writer.writeheader()
            writer.writerows(rows)
        label = re.sub(r"[^A-Za-z0-9]+", "-", rows[0]["Name"]).strip("-")[:40] or "person"
        stamp = datetime.now().strftime("%Y%m%d-%H%M%S")
        result = ingest_file(con, "crm", path, uploaded_by=uploaded_by,
                             file_name=f"link-{label}-{stamp}.csv")
    unresolved = con.execute("""
        SELECT count(*) FROM (SELECT unnest($names::VARCHAR[]) AS k) n
        LEFT JOIN rep_aliases a ON a.alias_key = 'name:' || name_key(n.k)
        LEFT JOIN reps r USING (rep_id)
        WHERE email_key(r.rep_email) IS DISTINCT FROM email_key($email) OR NOT coalesce(r.in_roster, false)
    """, {"names": [r["Name"] for r in rows], "email": target_email}).fetchone()[0]
    if unresolved:
        undo(con, result.upload_id)
        raise IngestError("the link did not resolve (the name is also used with another email or id); "
                          "nothing was changed")
    return result
