"""Source-row identity: a file uploaded again with a corrected column mapping updates its records in place.

A record's key comes from its id column or, without one, from mapped values (kinds/*.py `stage`), so a corrected
mapping can give the same source row another key. Each version therefore also stores a `source_key`: a hash of
the kind, the file's headers and the row's raw values, which no mapping changes. An incoming row whose source row
is already the source of a current record takes that record's place: when its key changed, the old key gets a
retired version in the same upload (so undo brings it back) and the row is counted as an update.

Both hashes are DuckDB's 64-bit hash(), stored as UBIGINT (sql/schema/008_integer_hashes.sql); the activity kind's
tables keep them as text, its retired versions marked 'retired'.
"""

from __future__ import annotations

from .kinds import Kind
from .staging import Context

RETIRED = "retired"          # row_hash of a version that ends a record in a text-hash table; NULL in the others
TEXT_HASHES = frozenset({"activity_versions"})   # versions tables (and their current tables) with text hashes
SAMPLE_CHANGES = 5           # updated records shown with their changed fields in a preview


def integer_hashes(k: Kind) -> bool:
    """Whether the kind's row_hash and source_key columns are UBIGINT (all kinds but those in TEXT_HASHES)."""
    return k.versions not in TEXT_HASHES


def hash_sql(k: Kind, values: str) -> str:
    """SQL of DuckDB's hash() of `values`, as the kind's tables store it."""
    return f"hash({values})" if integer_hashes(k) else f"hash({values})::VARCHAR"


def in_force(k: Kind) -> str:
    """SQL condition on a versions row: it does not end its record."""
    return "row_hash IS NOT NULL" if integer_hashes(k) else f"row_hash <> '{RETIRED}'"


def source_key_sql(ctx: Context, k: Kind) -> str:
    """SQL of a row's source key: kind and headers (bound), then every raw value, hashed in the staging pass."""
    header = ctx.bind("\x1f".join([ctx.kind, *ctx.headers]))
    values = ", ".join(f"c{i}" for i in range(len(ctx.headers)))
    return hash_sql(k, f"{header}, {values}" if values else header)


def current_versions(k: Kind) -> str:
    """The version in force per record (key as `k`, row_hash, source_key, the kind's columns).

    Fact kinds read their current table; the small reference kinds their latest versions, retired ones left out.
    """
    cols = ", ".join(k.columns)
    if k.fact:
        return f"SELECT {k.key} AS k, row_hash, source_key, {cols} FROM {k.fact.table}"
    return (f"SELECT * FROM (SELECT {k.key} AS k, row_hash, source_key, {cols} FROM {k.versions} "
            f"QUALIFY row_number() OVER (PARTITION BY {k.key} ORDER BY upload_id DESC) = 1) "
            f"WHERE {in_force(k)}")


def previous_records(k: Kind) -> str:
    """Current records by source key (one per source key), for the staging join."""
    return (f"SELECT source_key AS sk, min(k) AS prev_key FROM ({current_versions(k)}) "
            "WHERE source_key IS NOT NULL GROUP BY source_key")


def keep_rewritten_keys(con) -> None:
    """A key this upload writes again is not retired (mappings that swap two records' keys)."""
    con.execute("""
        UPDATE staged SET retire_key = NULL
        WHERE retire_key IN (SELECT record_key FROM staged WHERE action IN ('insert', 'update'))
    """)


def retire(con, k: Kind, upload_id: int) -> int:
    """Write the upload's retired versions and drop those records from the current table; returns how many."""
    marker = "NULL" if integer_hashes(k) else f"'{RETIRED}'"
    n = con.execute(f"""
        INSERT INTO {k.versions} (upload_id, {k.key}, row_hash, line_number)
        SELECT $id, retire_key, {marker}, line_number FROM staged WHERE retire_key IS NOT NULL
    """, {"id": upload_id}).fetchone()[0]
    if n and k.fact:
        con.execute(f"DELETE FROM {k.fact.table} WHERE {k.key} IN "
                    "(SELECT retire_key FROM staged WHERE retire_key IS NOT NULL)")
    return n


def sample_changes(con, k: Kind, limit: int = SAMPLE_CHANGES) -> list[dict]:
    """For the first `limit` updated records (file order): line, field, old value, new value, from `staged`."""
    cols = ", ".join(f"s.{c} AS new_{c}, o.{c} AS old_{c}" for c in k.columns)
    rows = con.execute(f"""
        SELECT s.line_number, {cols}
        FROM (SELECT * FROM staged WHERE action = 'update' ORDER BY line_number LIMIT $n) s
        LEFT JOIN ({current_versions(k)}) o ON o.k = coalesce(s.retire_key, s.record_key)
        ORDER BY s.line_number
    """, {"n": limit}).fetchall()
    out = []
    for line, *values in rows:
        for i, field in enumerate(k.columns):
            new, old = values[2 * i], values[2 * i + 1]
            if new != old and not (_empty(new) and _empty(old)):
                out.append({"line": line, "field": field, "old": _plain(old), "new": _plain(new)})
    return out


def _empty(value) -> bool:
    return value is None or value != value


def _plain(value):
    """A JSON-friendly value: dates as ISO text, everything else as it is."""
    return value.isoformat() if hasattr(value, "isoformat") else value
