"""Keeping the current tables in step with the versions of active uploads.

After an upload only the records it changed are (re)written, resolved with the rebuilt rep and message identities;
rows elsewhere are re-resolved only when an alias they use changed. Undo rebuilds everything from the versions.
"""

from __future__ import annotations

from dataclasses import dataclass

from .catalog import rebuild_messages
from .db import bump_data_version, sql
from .identity import rebuild_reps


@dataclass(frozen=True)
class Fact:
    table: str
    versions: str
    key: str
    email: str
    name: str
    crm: str
    message: str
    seen_date: str


FACTS = {
    "crm": Fact("opportunities", "opportunity_versions", "opportunity_id", "owner_email", "owner_name",
                "owner_crm_id", "message_tag", "close_date"),
    "quiz": Fact("quiz_attempts", "quiz_attempt_versions", "attempt_id", "rep_email", "rep_name", "NULL",
                 "module", "attempted_at::DATE"),
    "feedback": Fact("feedback", "feedback_versions", "feedback_id", "rep_email", "rep_name", "NULL",
                     "topic", "feedback_date"),
}


def _seen(f: Fact, relation: str) -> str:
    return (f"SELECT {f.email} AS email, {f.name} AS name, {f.crm}::VARCHAR AS crm, {f.message} AS message, "
            f"{f.seen_date} AS seen_date FROM {relation}")


def rebuild(con, upload_kind: str | None = None, upload_id: int | None = None, incoming: str | None = None) -> None:
    """Bring current tables up to date: after one upload (kind, id), or fully (after an undo).

    `incoming` optionally names a relation holding the upload's new versions (saves reading them back).
    """
    con.execute(sql("staging/stg_latest_versions.sql"))
    full = upload_kind is None
    for f in FACTS.values():
        con.execute(f"DROP VIEW IF EXISTS src_{f.table}")
        con.execute(f"DROP TABLE IF EXISTS src_{f.table}")
    for kind, f in FACTS.items():
        if full:
            con.execute(f"CREATE OR REPLACE TEMP TABLE src_{f.table} AS SELECT * FROM {f.versions} "
                        f"QUALIFY row_number() OVER (PARTITION BY {f.key} ORDER BY upload_id DESC) = 1")
            seen = _seen(f, f"src_{f.table}")
        elif kind == upload_kind:
            if incoming:
                con.execute(f"CREATE OR REPLACE TEMP VIEW src_{f.table} AS SELECT * FROM {incoming}")
            else:
                con.execute(f"CREATE OR REPLACE TEMP TABLE src_{f.table} AS SELECT * FROM {f.versions} "
                            "WHERE upload_id = $id", {"id": upload_id})
            seen = (_seen(f, f.table) + f" WHERE {f.key} NOT IN (SELECT {f.key} FROM src_{f.table}) "
                    "UNION ALL " + _seen(f, f"src_{f.table}"))
        else:
            seen = _seen(f, f.table)
        con.execute(f"CREATE OR REPLACE TEMP VIEW {f.table}_seen AS {seen}")

    con.execute("""CREATE OR REPLACE TEMP TABLE old_aliases AS
                   SELECT alias_key, rep_id AS target FROM rep_aliases
                   UNION ALL SELECT 'msg:' || alias_key, message_id FROM message_aliases""")
    rebuild_reps(con)
    rebuild_messages(con)
    con.execute("""CREATE OR REPLACE TEMP TABLE changed_aliases AS
                   WITH new AS (SELECT alias_key, rep_id AS target FROM rep_aliases
                                UNION ALL SELECT 'msg:' || alias_key, message_id FROM message_aliases)
                   SELECT alias_key FROM ((SELECT * FROM new EXCEPT SELECT * FROM old_aliases)
                                          UNION (SELECT * FROM old_aliases EXCEPT SELECT * FROM new))""")
    n_changed = con.execute("SELECT count(*) FROM changed_aliases").fetchone()[0]

    for kind, f in FACTS.items():
        if full or kind == upload_kind:
            if full:
                con.execute(f"DELETE FROM {f.table}")
            else:
                con.execute(f"DELETE FROM {f.table} WHERE {f.key} IN (SELECT {f.key} FROM src_{f.table})")
            _insert_resolved(con, f, f"src_{f.table}")
        if not full and n_changed:
            _reresolve(con, f)
    bump_data_version(con)


def _insert_resolved(con, f: Fact, relation: str) -> None:
    con.execute(f"CREATE OR REPLACE TEMP VIEW src AS SELECT * FROM {relation}")
    con.execute(f"INSERT INTO {f.table} BY NAME " + sql(f"build/{f.table}.sql"))


def _reresolve(con, f: Fact) -> None:
    """Re-resolve the rows of a fact table whose rep or message alias changed."""
    crm = f"OR 'crm:' || {f.crm} IN (SELECT alias_key FROM changed_aliases)" if f.crm != "NULL" else ""
    con.execute(f"""
        CREATE OR REPLACE TEMP TABLE affected AS SELECT * FROM {f.table}
        WHERE 'email:' || email_key({f.email}) IN (SELECT alias_key FROM changed_aliases)
           OR 'name:' || name_key({f.name}) IN (SELECT alias_key FROM changed_aliases) {crm}
           OR 'msg:' || text_key({f.message}) IN (SELECT alias_key FROM changed_aliases)
           OR rep_id IS NULL OR (message_id IS NULL AND {f.message} IS NOT NULL)
    """)
    if con.execute("SELECT count(*) FROM affected").fetchone()[0]:
        con.execute(f"DELETE FROM {f.table} WHERE {f.key} IN (SELECT {f.key} FROM affected)")
        _insert_resolved(con, f, "affected")
