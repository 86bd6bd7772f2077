"""Keeping the current tables in step with the versions of active uploads.

After an upload only the records it changed are (re)written, resolved with the rebuilt rep and message identities;
rows elsewhere are re-resolved only when an alias they use changed. Undo rebuilds everything from the versions.
"""

from __future__ import annotations

import re
from contextlib import contextmanager

import duckdb

from ..db import bump_data_version, sql
from ..model.catalog import rebuild_messages
from ..model.identity import rebuild_reps
from .kinds import FACT_KINDS, Kind
from .source_rows import in_force


def _seen(k: Kind, relation: str) -> str:
    """The people and message references of a fact relation, in the shape sql/build/*_seen.sql reads."""
    f = k.fact
    return (f"SELECT {f.email} AS email, {f.name} AS name, {f.crm}::VARCHAR AS crm, {f.message} AS message, "
            f"{f.seen_date} AS seen_date FROM {relation}")


def rebuild(con, upload_kind: str | None = None, upload_id: int | None = None, incoming: str | None = None) -> None:
    """Bring current tables up to date: after one upload (kind, id), or fully (after an undo).

    `incoming` optionally names a relation holding the upload's new versions (saves reading them back).
    """
    con.execute(sql("staging/stg_latest_versions.sql"))
    full = upload_kind is None
    _drop_sources(con)
    for k in FACT_KINDS:
        f = k.fact
        if full:
            con.execute(f"CREATE OR REPLACE TEMP TABLE src_{f.table} AS SELECT * FROM latest_{f.table}()")
            seen = _seen(k, f"src_{f.table}")
        elif k.name == upload_kind:
            if incoming:
                con.execute(f"CREATE OR REPLACE TEMP VIEW src_{f.table} AS SELECT * FROM {incoming}")
            else:
                con.execute(f"CREATE OR REPLACE TEMP TABLE src_{f.table} AS SELECT * FROM {k.versions} "
                            f"WHERE upload_id = $id AND {in_force(k)}", {"id": upload_id})
            seen = (_seen(k, f.table) + f" WHERE {k.key} NOT IN (SELECT {k.key} FROM src_{f.table}) "
                    "UNION ALL " + _seen(k, f"src_{f.table}"))
        else:
            seen = _seen(k, f.table)
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

    for k in FACT_KINDS:
        f = k.fact
        if full or k.name == upload_kind:
            if full:
                con.execute(f"DELETE FROM {f.table}")
                for d in f.derived:
                    con.execute(f"DELETE FROM {d}")
            else:
                con.execute(f"DELETE FROM {f.table} WHERE {k.key} IN (SELECT {k.key} FROM src_{f.table})")
            _insert_resolved(con, k, f"src_{f.table}", clear_derived=not full)
        follows = [cond for kind, cond in f.follows if not full and kind == upload_kind]
        if not full and (n_changed or follows):
            _reresolve(con, k, follows if not n_changed else [*follows, ""])
    _drop_sources(con)
    bump_data_version(con)


def _drop_sources(con) -> None:
    """Drop the src_<table> relations of a previous rebuild: a view after an upload, a table after an undo."""
    for name, kind in con.execute("""
            SELECT table_name, 'TABLE' FROM duckdb_tables() WHERE temporary AND starts_with(table_name, 'src_')
            UNION ALL
            SELECT view_name, 'VIEW' FROM duckdb_views() WHERE temporary AND starts_with(view_name, 'src_')
            """).fetchall():
        con.execute(f"DROP {kind} {name}")


def _insert_resolved(con, k: Kind, relation: str, clear_derived: bool = True, derived: bool = True) -> None:
    """Insert a relation's rows into the kind's current table, resolved to reps and messages, and rebuild the
    tables derived from those rows (an activity's speaker turns) unless derived=False."""
    f = k.fact
    con.execute(f"CREATE OR REPLACE TEMP VIEW src AS SELECT * FROM {relation}")
    build = sql(f"build/{f.table}.sql")
    with _join_order_as_written(con, build):
        con.execute(f"INSERT INTO {f.table} BY NAME " + build)
    for d in f.derived if derived else ():
        if clear_derived:
            con.execute(f"DELETE FROM {d} WHERE {k.key} IN (SELECT {k.key} FROM src)")
        con.execute(f"INSERT INTO {d} BY NAME " + sql(f"build/{d}.sql"))


# A build that joins `src` to nothing but the alias tables is written in the order it should run: the rows probe,
# the distinct people and messages are built. DuckDB's estimate of a filtered `src` (an upload's new versions) can be
# 5x too low and its estimate of the distinct owners too high, which made it hash all of `src` instead (spilling a
# million rows to disk); such builds run with the join order as written.
_SMALL = {"src", "rep_aliases", "message_aliases"}
_READS = re.compile(r"\b(?:FROM|JOIN)\s+([A-Za-z_]\w*)", re.IGNORECASE)
_CTES = re.compile(r"\b([A-Za-z_]\w*)\s+AS\s+(?:NOT\s+)?(?:MATERIALIZED\s+)?\(", re.IGNORECASE)


def reads_only_src(build: str) -> bool:
    """Whether a build query reads no table but `src` and the alias tables (its CTEs aside)."""
    text = re.sub(r"--[^\n]*", " ", build)
    text = re.sub(r"\bDISTINCT\s+FROM\b", " ", text, flags=re.IGNORECASE)
    ctes = {m.lower() for m in _CTES.findall(text)}
    return {m.lower() for m in _READS.findall(text)} - ctes <= _SMALL


@contextmanager
def _join_order_as_written(con, build: str):
    """Run a build that reads only `src` and the alias tables with its joins as written (see above)."""
    if not reads_only_src(build):
        yield
        return
    before = con.execute("SELECT current_setting('disabled_optimizers')").fetchone()[0]
    names = ",".join(n for n in (before, "join_order", "build_side_probe_side") if n)
    con.execute(f"SET disabled_optimizers = '{names}'")
    # A value DuckDB itself reported (SET takes no bound parameters).
    restore = f"SET disabled_optimizers = '{before}'" if before else "RESET disabled_optimizers"
    try:
        yield
    except BaseException:
        try:        # a failed statement aborts the transaction, and SET with it: the upload's rollback restores
            con.execute(restore)
        except duckdb.Error:
            pass
        raise
    con.execute(restore)


def _reresolve(con, k: Kind, conditions: list[str] | None = None) -> None:
    """Re-resolve the rows of a fact table whose rep or message alias changed ("" in `conditions`, the default),
    or that meet one of the other `conditions` (SQL over the table's columns)."""
    f = k.fact
    # An empty table has nothing to re-resolve, and its conditions may read a large relation (every incoming deal)
    if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM {f.table} LIMIT 1)").fetchone()[0] == 0:
        return
    where = [c for c in conditions or [""] if c]
    if "" in (conditions or [""]):
        crm = f"OR 'crm:' || {f.crm} IN (SELECT alias_key FROM changed_aliases)" if f.crm != "NULL" else ""
        msg = (f"OR 'msg:' || text_key({f.message}) IN (SELECT alias_key FROM changed_aliases) "
               f"OR (message_id IS NULL AND {f.message} IS NOT NULL)") if f.message != "NULL" else ""
        where.append(f"""'email:' || email_key({f.email}) IN (SELECT alias_key FROM changed_aliases)
           OR 'name:' || name_key({f.name}) IN (SELECT alias_key FROM changed_aliases) {crm} {msg}
           OR rep_id IS NULL""")
    con.execute(f"CREATE OR REPLACE TEMP TABLE affected AS SELECT * FROM {f.table} WHERE "
                + " OR ".join(f"({w})" for w in where))
    if con.execute("SELECT count(*) FROM affected").fetchone()[0]:
        con.execute(f"DELETE FROM {f.table} WHERE {k.key} IN (SELECT {k.key} FROM affected)")
        # derived rows (speaker roles) follow the rep: rebuilt when an alias changed, not for a deal that arrived
        _insert_resolved(con, k, "affected", derived="" in (conditions or [""]))
