"""The message catalog: launch plan plus every message named in quizzes, feedback and CRM tags.

Names are matched by their normalized form; a quiz module such as "Certification: Security-First Value Prop" matches
the catalog message whose normalized name it contains (the longest such name). Names that match nothing become
messages of their own, flagged as not in the catalog, launched on their first quiz attempt.
"""

from __future__ import annotations

import re
import unicodedata

import pandas as pd

from ..db import sql

PREFIXES = re.compile(r"^(certification|certificate|certify|practice|quiz|module|course|training|challenge|"
                      r"assessment|test|refresher|reinforcement|lesson)( quiz| module| course| challenge)?\s+")


def key(name: str) -> str:
    """The same normalization as the SQL macro name_key, for message names."""
    text = unicodedata.normalize("NFKD", name)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    return re.sub(r"\s+", " ", re.sub(r"[^a-z0-9]+", " ", text)).strip()


def slug(k: str) -> str:
    return k.replace(" ", "-")


def match(name_key: str, catalog_keys: list[str]) -> str | None:
    """The catalog key a seen name refers to: exact, else the longest catalog name it contains as words."""
    if name_key in catalog_keys:
        return name_key
    padded = f" {name_key} "
    hits = [c for c in catalog_keys if f" {c} " in padded]
    return max(hits, key=len) if hits else None


def rebuild_messages(con) -> None:
    """Rebuild messages and message_aliases from the catalog uploads and the names seen elsewhere."""
    seen = con.execute(sql("build/message_names_seen.sql")).df()
    catalog = con.execute("SELECT * FROM latest_messages()").df()
    catalog_keys = sorted({key(n) for n in catalog["message_name"].dropna()})
    aliases: dict[str, str] = {}
    extra: dict[str, dict] = {}
    for rec in seen.itertuples(index=False):
        if not isinstance(rec.name, str) or not key(rec.name):
            continue
        k = key(rec.name)
        target = match(k, catalog_keys)
        if target is None:
            target = PREFIXES.sub("", k) or k
            target = match(target, catalog_keys) or target
        if target not in catalog_keys:
            first = rec.first_seen if rec.source == "quiz" else None
            info = extra.setdefault(target, {"name": _display(rec.name), "quiz_first": None, "any_first": None})
            if first is not None and not pd.isna(first):
                info["quiz_first"] = min(filter(None, [info["quiz_first"], first]))
            if rec.first_seen is not None and not pd.isna(rec.first_seen):
                info["any_first"] = min(filter(None, [info["any_first"], rec.first_seen]))
        aliases[k] = target
    rows = []
    for rec in catalog.sort_values("message_key").itertuples(index=False):
        k = key(rec.message_name)
        aliases[k] = k
        rows.append({"message_id": slug(k), "message_name": rec.message_name, "launch_date": rec.launch_date,
                     "target_segment": rec.target_segment, "owner": rec.owner, "description": rec.description,
                     "adoption_target": rec.adoption_target, "target_date": rec.target_date, "in_catalog": True,
                     "key_phrases": rec.key_phrases if isinstance(rec.key_phrases, str) else None})
    for k, info in sorted(extra.items()):
        rows.append({"message_id": slug(k), "message_name": info["name"],
                     "launch_date": info["quiz_first"] or info["any_first"], "target_segment": None, "owner": None,
                     "description": None, "adoption_target": None, "target_date": None, "in_catalog": False,
                     "key_phrases": None})
    con.execute("DELETE FROM message_aliases")
    con.execute("DELETE FROM messages")
    if rows:
        df = pd.DataFrame(rows)
        for c in ("launch_date", "target_date"):
            df[c] = pd.to_datetime(df[c]).dt.date
        df["adoption_target"] = df["adoption_target"].astype("float64")
        df = _phrases_in_force(con, df)
        con.register("new_messages", df)
        con.execute("INSERT INTO messages SELECT message_id, message_name, launch_date, target_segment, owner, "
                    "description, adoption_target, target_date, in_catalog, key_phrases, key_phrases_source "
                    "FROM new_messages")
        con.unregister("new_messages")
    if aliases:
        al = pd.DataFrame(sorted((k, slug(t)) for k, t in aliases.items()), columns=["alias_key", "message_id"])
        con.register("new_malias", al)
        con.execute("INSERT INTO message_aliases SELECT alias_key, message_id FROM new_malias")
        con.unregister("new_malias")


def refresh_key_phrases(con) -> None:
    """Set the key phrases in force on the current messages after an edit or its undo (same rule as a rebuild)."""
    con.execute(sql("staging/stg_latest_versions.sql"))
    df = con.execute("""
        SELECT m.message_id, c.key_phrases FROM messages m
        LEFT JOIN latest_messages() c ON m.in_catalog AND replace(c.message_key, ' ', '-') = m.message_id
    """).df()
    df = _phrases_in_force(con, df)
    if len(df):
        con.executemany("UPDATE messages SET key_phrases = ?, key_phrases_source = ? WHERE message_id = ?",
                        list(zip(df["key_phrases"], df["key_phrases_source"], df["message_id"])))


def _phrases_in_force(con, df: pd.DataFrame) -> pd.DataFrame:
    """Key phrases per message: its latest page edit while the catalog still carries the phrases that edit replaced,
    else the catalog's (a catalog upload with other phrases for the message supersedes the edit)."""
    edits = {mid: (edited, base) for mid, edited, base in con.execute("""
        SELECT message_id, key_phrases, catalog_phrases FROM key_phrase_edits WHERE undone_at IS NULL
        QUALIFY row_number() OVER (PARTITION BY message_id ORDER BY edit_id DESC) = 1
    """).fetchall()}
    phrases, source = [], []
    for mid, catalog in zip(df["message_id"], df["key_phrases"]):
        catalog = catalog if isinstance(catalog, str) and catalog else None
        edit = edits.get(mid)
        if edit is not None and edit[1] == catalog:
            phrases.append(edit[0] or None)
            source.append("edit")
        else:
            phrases.append(catalog)
            source.append("catalog" if catalog else None)
    return df.assign(key_phrases=pd.Series(phrases, index=df.index, dtype=object),
                     key_phrases_source=pd.Series(source, index=df.index, dtype=object))


def _display(name: str) -> str:
    """A seen module name without its 'Certification:' style prefix, for display."""
    stripped = re.sub(r"^\s*(certification|practice|quiz|module|course|training|challenge|assessment|refresher)"
                      r"\s*[:\-–]\s*", "", name, flags=re.IGNORECASE)
    return stripped.strip() or name.strip()
