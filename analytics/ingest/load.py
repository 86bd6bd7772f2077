"""One upload, one transaction: read, stage, reject, deduplicate, version, rebuild. And undo."""

from __future__ import annotations

import csv
import getpass
import hashlib
import json
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path

import duckdb
import pandas as pd

from ..db import atomic, bump_data_version, commit_message
from ..settings import PASS_MARK
from . import formats
from . import mappings
from .choose import choose_columns
from .columns import check_required, duplicate_warnings
from .errors import IngestError
from .kinds import KINDS, UPLOAD_KINDS, version_tables
from .rebuild import rebuild
from .reader import load_raw
from .source_rows import (current_versions, hash_sql, integer_hashes, keep_rewritten_keys, retire, sample_changes,
                          source_key_sql)
from .staging import Context

MAX_REJECTS_SHOWN = 20
# DuckDB's memory for one upload: peak RSS stays under 1 GB for a one-million-row export (measured with
# benchmarks/run_all.py); larger files spill their temp tables to the database's .tmp directory.
MEMORY_LIMIT = "600MB"


@dataclass
class UploadResult:
    """What one upload did (the CLI's --json object)."""

    upload_id: int | None
    kind: str
    file: str
    source_format: str
    rows_read: int = 0
    rows_inserted: int = 0
    rows_updated: int = 0
    rows_unchanged: int = 0
    rows_rejected: int = 0
    rows_skipped: int = 0
    rejects: list[dict] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    encoding: str = ""
    delimiter: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    details: dict = field(default_factory=dict)
    dry_run: bool = False
    changes: list[dict] = field(default_factory=list)    # a sample of what the updates change (field, old, new)
    unused_columns: list[dict] = field(default_factory=list)     # non-empty columns no field reads: column, looks_like
    missing_optional: list[str] = field(default_factory=list)    # optional fields no column holds
    inference: dict[str, dict] = field(default_factory=dict)     # field -> {column, confidence, reason}

    def to_json(self) -> dict:
        """The result as the CLI prints it (--json)."""
        return asdict(self)


def ingest_file(con, kind: str, path: str | Path, *, column_map: dict[str, str] | None = None,
                stage_map: dict[str, str] | None = None, date_formats: dict[str, str] | None = None,
                pass_mark: float = PASS_MARK, uploaded_by: str | None = None, file_name: str | None = None,
                dry_run: bool = False, _fail_after_versions: bool = False) -> UploadResult:
    """Ingest one export of `kind`; all or nothing. dry_run computes the preview and writes nothing."""
    if kind not in UPLOAD_KINDS:
        raise IngestError(f"unknown kind {kind!r}; use one of {', '.join(UPLOAD_KINDS)}")
    name = file_name or Path(path).name
    try:
        with _bounded_memory(con), atomic(con, rollback=dry_run):
            return _ingest(con, kind, Path(path), column_map or {}, stage_map or {}, date_formats or {},
                           pass_mark, uploaded_by or _whoami(), name, dry_run, _fail_after_versions)
    # Every refusal names the file as the person knows it (an upload's temporary name never shows).
    except IngestError as exc:
        if str(exc).startswith(f"{name}:"):
            raise
        raise IngestError(f"{name}: {exc}") from None
    except (duckdb.Error, OSError, UnicodeError, csv.Error) as exc:
        reason = (str(exc).splitlines() or [type(exc).__name__])[0][:300]
        raise IngestError(f"{name}: could not be loaded ({reason}); nothing was written. Check that it is an "
                          "unedited CSV export, or report the message") from None


@contextmanager
def _bounded_memory(con):
    """For one upload: DuckDB spills to disk beyond MEMORY_LIMIT, and rows need not keep the file's order
    (line_number records it), so the large inserts stream in parallel. The previous settings come back after."""
    def current():
        return con.execute("SELECT current_setting('memory_limit'), current_setting('preserve_insertion_order'), "
                           "current_setting('disabled_optimizers')").fetchone()
    limit, order, optimizers = current()
    con.execute("RESET memory_limit")
    default_limit = current()[0]
    con.execute(f"SET memory_limit = '{MEMORY_LIMIT}'")
    con.execute("SET preserve_insertion_order = false")
    try:
        yield
    finally:
        # Values DuckDB itself reported (SET takes no bound parameters); a default limit is reset, not copied.
        con.execute("RESET memory_limit" if limit == default_limit else f"SET memory_limit = '{limit}'")
        con.execute(f"SET preserve_insertion_order = {bool(order)}")
        # a rebuild that failed with its join order pinned (rebuild.py) could not set it back inside the transaction
        con.execute(f"SET disabled_optimizers = '{optimizers}'" if optimizers else "RESET disabled_optimizers")


def _whoami() -> str:
    """The operating-system user, recorded as the uploader when none is given."""
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _ingest(con, kind, path, column_map, stage_map, date_formats, pass_mark, who, file_name, dry_run,
            fail_after) -> UploadResult:
    raw = load_raw(con, path, file_name)
    chosen = choose_columns(con, kind, raw, column_map)
    k, inferred = chosen.kind, chosen.inference
    effective = k.name
    mapping = inferred.mapping
    check_required(effective, {**mapping, **dict.fromkeys(inferred.constants, -1)}, raw.headers, raw.file_name)
    fmt = formats.detect(effective, raw.headers)
    source_format = fmt.name
    ctx = Context(con=con, kind=effective, headers=raw.headers, mapping=mapping, delimiter=raw.delimiter,
                  format=fmt, stage_overrides=stage_map, date_overrides=date_formats, pass_mark=pass_mark,
                  constants=inferred.constants)
    ctx.warnings.extend(raw.warnings + inferred.warnings + duplicate_warnings(raw.headers, mapping))
    if chosen.remembered:
        ctx.info["remembered_mapping"] = {"mapping_id": chosen.remembered["mapping_id"],
                                          "columns": chosen.remembered["columns"]}
        mappings.mark_used(con, chosen.remembered["mapping_id"])
    if column_map and not dry_run:      # settled by hand: the next export of this shape reads the same
        ctx.info["mapping_saved"] = mappings.remember(con, effective, raw.headers, chosen.columns, who)
    settings = _settings_digest(ctx, raw, stage_map, date_formats, pass_mark)
    before = (len(ctx.warnings), set(ctx.info))
    prior = _same_file_in_force(con, k, raw.sha256, settings)
    if prior:       # these bytes, read the same way, made the records in force: staging them again changes nothing
        ctx.info.update(prior["restage"]["info"])
        ctx.warnings.extend(prior["restage"]["warnings"])
    key_sql = None if prior else k.stage(ctx)
    upload_id = con.execute("SELECT coalesce(max(upload_id), 0) + 1 FROM uploads").fetchone()[0]
    result = UploadResult(upload_id=None if dry_run else upload_id, kind=effective, file=raw.file_name,
                          source_format=source_format, encoding=raw.encoding,
                          delimiter={"\t": "tab"}.get(raw.delimiter, raw.delimiter),
                          columns={t: raw.headers[i] for t, i in sorted(mapping.items(), key=lambda kv: kv[1])},
                          details=ctx.info, dry_run=dry_run, unused_columns=inferred.unused_columns,
                          missing_optional=inferred.missing_optional,
                          inference={f: c.to_json() for f, c in inferred.choices.items()})
    if prior:
        counts, n_twins = _counts_of_prior(con, raw, prior)
    else:
        counts, n_twins = _stage_and_count(con, k, ctx, raw, key_sql)
    # Everything else reads the staged relation: the raw text can go before the writes.
    for t in ("raw_rows", *ctx.lookups):
        con.execute(f"DROP TABLE IF EXISTS {t}")

    result.rows_read = raw.n_rows + len(raw.bad_lines)
    result.rows_inserted, result.rows_updated = counts["insert"], counts["update"]
    result.rows_unchanged = counts["unchanged"] + n_twins
    result.rows_rejected = counts["reject"] + len(raw.bad_lines)
    result.rows_skipped = raw.n_skipped
    result.rejects = [{"line": ln, "reason": reason} for ln, reason in con.execute(
        "SELECT line_number, reason FROM new_rejects ORDER BY line_number LIMIT $n",
        {"n": MAX_REJECTS_SHOWN}).fetchall()]
    result.warnings = ctx.warnings
    if counts["update"]:
        result.changes = sample_changes(con, k)

    con.execute("""
        INSERT INTO uploads (upload_id, kind, file_name, sha256, source_format, encoding, delimiter, options_json,
            uploaded_by, uploaded_at, n_read, n_inserted, n_updated, n_unchanged, n_rejected, n_skipped,
            warnings_json, status)
        VALUES ($id, $kind, $file, $sha, $fmt, $enc, $delim, $opts, $who, $at, $read, $ins, $upd, $unch, $rej,
            $skip, $warn, 'active')
    """, {"id": upload_id, "kind": effective, "file": raw.file_name, "sha": raw.sha256, "fmt": source_format,
          "enc": raw.encoding, "delim": raw.delimiter,
          "opts": json.dumps({"columns": result.columns, **ctx.info, "restage": {
              "settings": settings, "info": {key: v for key, v in ctx.info.items() if key not in before[1]},
              "warnings": ctx.warnings[before[0]:]}}, default=str), "who": who,
          "at": datetime.now(timezone.utc).replace(tzinfo=None), "read": result.rows_read,
          "ins": result.rows_inserted, "upd": result.rows_updated, "unch": result.rows_unchanged,
          "rej": result.rows_rejected, "skip": result.rows_skipped, "warn": json.dumps(ctx.warnings)})
    if not dry_run:      # the shared store's history says who changed what (no-op on the file)
        commit_message(con, who, f"upload {upload_id}: {effective} {raw.file_name}",
                       {"upload_id": upload_id, "kind": effective, "file": raw.file_name, "sha256": raw.sha256})
    if result.rows_rejected:
        con.execute("INSERT INTO rejected_rows SELECT $id, line_number, reason, raw_json FROM new_rejects "
                    "ORDER BY line_number", {"id": upload_id})
    if result.rows_inserted or result.rows_updated:
        # New versions and current rows come from the one staged relation.
        col_list = ", ".join(k.columns)
        con.execute(f"""
            INSERT INTO {k.versions} (upload_id, {k.key}, row_hash, line_number, source_key, {col_list})
            SELECT $id, record_key, row_hash, line_number, source_key, {col_list} FROM staged
            WHERE action IN ('insert', 'update')
        """, {"id": upload_id})
        retire(con, k, upload_id)
        if fail_after:
            raise RuntimeError("simulated failure in the middle of an upload")
        incoming = None
        if k.fact:
            con.execute(f"CREATE OR REPLACE TEMP VIEW incoming AS SELECT record_key AS {k.key}, "
                        f"{int(upload_id)} AS upload_id, row_hash, line_number, source_key, {col_list} "
                        "FROM staged WHERE action IN ('insert', 'update')")
            incoming = "incoming"
        rebuild(con, effective if k.fact else "reference", upload_id, incoming)
    else:
        if fail_after:
            raise RuntimeError("simulated failure in the middle of an upload")
        bump_data_version(con)
    if not dry_run:
        k.after_load(con, upload_id)      # e.g. activities are scored for message mentions, in this transaction
    con.execute("DROP VIEW IF EXISTS incoming")
    for t in ("staged", "new_rejects"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return result


def _settings_digest(ctx: Context, raw, stage_map: dict, date_formats: dict, pass_mark: float) -> str:
    """What staging a file depends on besides its bytes: the code, the kind, the columns chosen and the options."""
    return hashlib.sha256(json.dumps([
        _code_digest(), ctx.kind, ctx.source_format, raw.headers, raw.encoding, raw.delimiter,
        sorted(ctx.mapping.items()), sorted(ctx.constants.items()), sorted(stage_map.items()),
        sorted(date_formats.items()), pass_mark]).encode()).hexdigest()


@lru_cache(maxsize=1)
def _code_digest() -> str:
    """The ingest code, schema and DuckDB version (hash() is DuckDB's): another version restages every file."""
    root = Path(__file__).resolve().parents[2]
    h = hashlib.sha256(duckdb.__version__.encode())
    for p in sorted([*(root / "analytics" / "ingest").rglob("*.py"), *(root / "sql" / "schema").glob("*.sql")]):
        h.update(p.read_bytes())
    return h.hexdigest()


def _same_file_in_force(con, k, sha256: str, settings: str) -> dict | None:
    """The upload whose versions are in force for these very bytes read the same way, if nothing has changed the
    kind's records since: the last upload into the kind's versions table, active, with the same digest and
    settings, and no upload of those kinds undone after it. Its `restage` options and rejected rows stand in for
    staging the file again (every record unchanged)."""
    kinds = [name for name, other in KINDS.items() if other.versions == k.versions]
    row = con.execute("""
        SELECT upload_id, status, sha256, options_json, n_rejected, uploaded_at FROM uploads
        WHERE kind IN (SELECT unnest($kinds)) ORDER BY upload_id DESC LIMIT 1
    """, {"kinds": kinds}).fetchone()
    if row is None or row[1] != "active" or row[2] != sha256:
        return None
    restage = json.loads(row[3] or "{}").get("restage")
    if not restage or restage.get("settings") != settings:
        return None
    undone = con.execute("SELECT count(*) FROM uploads WHERE kind IN (SELECT unnest($kinds)) AND undone_at >= $at",
                         {"kinds": kinds, "at": row[5]}).fetchone()[0]
    return None if undone else {"upload_id": row[0], "n_rejected": row[4], "restage": restage}


def _counts_of_prior(con, raw, prior: dict) -> tuple[dict, int]:
    """Counts for a file identical to the upload in force (`_same_file_in_force`): every good row unchanged, the
    same rows rejected (copied into `new_rejects`)."""
    con.execute("DROP TABLE IF EXISTS new_rejects")
    con.execute("CREATE TEMP TABLE new_rejects AS SELECT line_number, reason, raw_json FROM rejected_rows "
                "WHERE upload_id = $id", {"id": prior["upload_id"]})
    n_read = raw.n_rows + len(raw.bad_lines)
    return {"insert": 0, "update": 0, "unchanged": n_read - prior["n_rejected"],
            "reject": prior["n_rejected"] - len(raw.bad_lines)}, 0


def _stage_and_count(con, k, ctx: Context, raw, key_sql: str) -> tuple[dict, int]:
    """Stage the raw rows, drop earlier twins, warn, and collect the rejected rows into `new_rejects`; returns the
    counts per action and how many twins went."""
    # The CRM check for one deal under several ids reads these columns on every row, changed or not.
    keep = ("account_name", "opportunity_name", "created_date") \
        if ctx.kind == "crm" and "derived_key" not in ctx.info else ()
    if _stage(con, k, ctx, key_sql, keep):
        keep_rewritten_keys(con)
    counts = _count(con, ctx, warn=True)
    n_twins = _drop_earlier_twins(con) if counts["keys"] < counts["good"] else 0
    if n_twins:
        ctx.warnings.append(f"{n_twins} row(s) repeat a record that appears again later in the file; "
                            "the last occurrence was kept")
        counts = _count(con, ctx, warn=False)
    if keep:
        twins = con.execute("""
            SELECT count(*) FROM (SELECT lower(account_name), lower(opportunity_name), created_date, count(*) n
            FROM staged WHERE action <> 'reject' AND opportunity_name IS NOT NULL GROUP BY ALL HAVING n > 1)
        """).fetchone()[0]
        if twins:
            ctx.warnings.append(f"{twins} deal(s) appear under more than one record id with the same name, "
                                "account and created date (a re-import?); they are kept as separate deals")

    # Rejected rows: unreadable lines and rows whose values do not convert, kept with their raw values.
    con.execute("DROP TABLE IF EXISTS new_rejects")
    con.execute("CREATE TEMP TABLE new_rejects (line_number INTEGER, reason VARCHAR, raw_json VARCHAR)")
    if raw.bad_lines:
        con.executemany("INSERT INTO new_rejects VALUES (?, ?, ?)",
                        [(ln, reason, json.dumps({"line": text})) for ln, reason, text in raw.bad_lines])
    if counts["reject"]:
        pairs = ", ".join(f"$h{i}, r.c{i}" for i in range(len(raw.headers)))
        hparams = {f"h{i}": (h or f"column {i + 1}") + ("" if raw.headers.index(h) == i else f" ({i + 1})")
                   for i, h in enumerate(raw.headers)}
        con.execute(f"""
            INSERT INTO new_rejects
            SELECT s.line_number, s.reject_reason, json_object({pairs})::VARCHAR
            FROM staged s JOIN raw_rows r USING (line_number) WHERE s.action = 'reject'
        """, hparams)
    return counts, n_twins


def _stage(con, k, ctx: Context, key_sql: str, keep: tuple[str, ...]) -> int:
    """One pass over the raw rows: typed values, reject reasons, record key, row hash and the action against
    the version in force (insert / update / unchanged / reject), into temp table `staged`. A row whose source
    row already backs a record under another key (a corrected mapping) updates it: `retire_key` names the old key.
    Returns how many rows retire a key.

    Unchanged rows keep only their key (and `keep`): the writes need the values of changed rows alone.
    """
    reasons = ", ".join(f"CASE WHEN {cond} THEN {reason} END" for cond, reason in ctx.checks) or "NULL"
    selects = ", ".join(f"{expr} AS {name}" for name, expr in ctx.select.items())
    inner = "".join(f", {expr} AS {name}" for name, expr in ctx.inner.items())
    flags = "".join(f", {name}" for name in ctx.flags)
    flag_exprs = "".join(f", {expr} AS {name}" for name, expr in ctx.flags.items())
    # Change detection: a 64-bit hash of the typed values, computed in the same pass (duckdb is pinned, so
    # hash() is stable), stored as UBIGINT; in text-hash tables, versions written before it carry an md5 of the
    # values as text, recomputed for them.
    row_hash = hash_sql(k, ", ".join(k.columns))
    if integer_hashes(k):
        changed = "c.k IS NULL THEN 'insert' WHEN c.row_hash IS DISTINCT FROM s.row_hash"
    else:
        legacy = "md5(concat_ws('|', " + ", ".join(f"coalesce(s.{c}::VARCHAR, '')" for c in k.columns) + "))"
        changed = (f"c.row_hash IS NULL THEN 'insert' "
                   f"WHEN c.row_hash <> CASE WHEN length(c.row_hash) = 32 THEN {legacy} ELSE s.row_hash END")
    # The version in force: current fact tables carry it; the small reference kinds read their versions.
    current = current_versions(k)
    source_key = source_key_sql(ctx, k)
    # A good row whose key's record was not made from this source row (a new record, or the same record from other
    # raw text) may be the new key of another record's source row: those rows alone are looked up by source key
    # below, so a re-ingest joins the version in force once, by key. They keep their values until then.
    kept = "(action IN ('insert', 'update') OR other_source)"
    values = ", ".join(c if c in keep else f"CASE WHEN {kept} THEN {c} END AS {c}" for c in k.columns)
    con.execute("DROP TABLE IF EXISTS staged")
    con.execute(f"""
        CREATE TEMP TABLE staged AS
        SELECT line_number, record_key, reject_reason{flags}, action, other_source,
               CASE WHEN {kept} THEN row_hash END AS row_hash, CASE WHEN {kept} THEN source_key END AS source_key,
               NULL::VARCHAR AS retire_key, {values}
        FROM (SELECT s.*, CASE WHEN s.reject_reason IS NOT NULL THEN 'reject' WHEN {changed}
                               THEN 'update' ELSE 'unchanged' END AS action,
                          s.reject_reason IS NULL AND c.source_key IS DISTINCT FROM s.source_key AS other_source
              FROM (SELECT *, CASE WHEN reject_reason IS NULL THEN {row_hash} END AS row_hash
                    FROM (SELECT line_number, {key_sql} AS record_key, {source_key} AS source_key, {selects},
                                 nullif(concat_ws('; ', {reasons}), '') AS reject_reason{flag_exprs}
                          FROM (SELECT r.*{inner} FROM raw_rows r {' '.join(ctx.joins)}))) s
              -- the key is NULL for a rejected row (one equality: a hash join on duckdb 1.5.5 too, not a nested loop)
              LEFT JOIN ({current}) c ON c.k = CASE WHEN s.reject_reason IS NULL THEN s.record_key END)
    """, ctx.params)
    if con.execute(f"SELECT count(*) FROM (SELECT 1 FROM ({current}) LIMIT 1)").fetchone()[0] == 0:
        return 0        # nothing in force: no source row backs a record yet
    return con.execute(f"""
        UPDATE staged SET action = 'update', retire_key = p.prev_key
        FROM (SELECT source_key AS sk, min(k) AS prev_key FROM ({current})
              WHERE source_key IN (SELECT source_key FROM staged WHERE other_source) GROUP BY source_key) p
        WHERE staged.other_source AND p.sk = staged.source_key AND p.prev_key <> staged.record_key
    """).fetchone()[0]


def _count(con, ctx: Context, warn: bool) -> dict:
    """Rows per action, distinct keys among the good rows (twins when fewer), placeholder dates per column."""
    flags = "".join(f", count(*) FILTER (WHERE {f})" for f in ctx.flags)
    row = con.execute(f"""
        SELECT count(*) FILTER (WHERE action = 'insert'), count(*) FILTER (WHERE action = 'update'),
               count(*) FILTER (WHERE action = 'unchanged'), count(*) FILTER (WHERE action = 'reject'),
               count(*) FILTER (WHERE action <> 'reject'),
               -- a hash collision only costs the exact check below
               count(DISTINCT hash(record_key)) FILTER (WHERE action <> 'reject'){flags}
        FROM staged
    """).fetchone()
    counts = dict(zip(("insert", "update", "unchanged", "reject", "good", "keys"), row))
    if warn:
        for flag, n in zip(ctx.flags, row[6:]):
            if n:
                ctx.warnings.append(f"{ctx.flag_headers[flag]}: {n} placeholder date(s) beyond 2100 "
                                    "(e.g. 31.12.3999) read as empty")
    return counts


def _drop_earlier_twins(con) -> int:
    """Duplicates inside the file: the last occurrence of a key wins (deterministic); returns how many went."""
    return con.execute("""
        DELETE FROM staged WHERE line_number IN (
            SELECT line_number FROM staged WHERE action <> 'reject'
            QUALIFY row_number() OVER (PARTITION BY record_key ORDER BY line_number DESC) > 1)
    """).fetchone()[0]


def undo(con, upload_id: int) -> dict:
    """Revert one upload: its new records go, records it changed return to their previous version."""
    with atomic(con):
        row = con.execute("SELECT kind, file_name, status FROM uploads WHERE upload_id = $id",
                          {"id": upload_id}).fetchone()
        if row is None:
            raise IngestError(f"no upload with id {upload_id}")
        if row[2] == "undone":
            raise IngestError(f"upload {upload_id} ({row[1]}) was already undone")
        removed = 0
        for t in version_tables():
            removed += con.execute(f"SELECT count(*) FROM {t} WHERE upload_id = $id", {"id": upload_id}).fetchone()[0]
            con.execute(f"DELETE FROM {t} WHERE upload_id = $id", {"id": upload_id})
        con.execute("UPDATE uploads SET status = 'undone', undone_at = $t WHERE upload_id = $id",
                    {"id": upload_id, "t": datetime.now(timezone.utc).replace(tzinfo=None)})
        rebuild(con)
        if row[0] in KINDS:
            KINDS[row[0]].after_load(con, None)
        commit_message(con, _whoami(), f"undo upload {upload_id}: {row[0]} {row[1]}", {"undone": upload_id})
    return {"upload_id": upload_id, "kind": row[0], "file": row[1], "versions_removed": removed}


def list_uploads(con):
    """The upload history, newest first."""
    return con.execute("""
        SELECT upload_id, kind, file_name, source_format, uploaded_by, uploaded_at, n_read AS rows_read,
               n_inserted AS rows_inserted, n_updated AS rows_updated, n_unchanged AS rows_unchanged,
               n_rejected AS rows_rejected, n_skipped AS rows_skipped, status, sha256
        FROM uploads ORDER BY upload_id DESC
    """).df()


def rejected_rows(con, upload_id: int):
    """An upload's rejected rows with line numbers, reasons and raw values."""
    return con.execute("SELECT line_number, reason, raw_json FROM rejected_rows WHERE upload_id = $id "
                       "ORDER BY line_number", {"id": upload_id}).df()


def rejected_rows_table(con, upload_id: int):
    """An upload's rejected rows with each original column spread out again (for download)."""
    rows = rejected_rows(con, upload_id)
    values = pd.DataFrame([json.loads(r) if r else {} for r in rows["raw_json"]], index=rows.index)
    return pd.concat([rows[["line_number", "reason"]], values], axis=1)
