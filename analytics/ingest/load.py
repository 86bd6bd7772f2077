"""One upload, one transaction: read, stage, reject, deduplicate, version, rebuild. And undo."""

from __future__ import annotations

import getpass
import json
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from ..db import bump_data_version
from ..store import rebuild
from .columns import KINDS, check_required, detect_crm_format, looks_like_users_file, match_columns
from .errors import IngestError
from .kinds import STAGERS, TARGETS, Context
from .reader import load_raw

MAX_REJECTS_SHOWN = 20
FACT_TABLES = {"crm": "opportunities", "quiz": "quiz_attempts", "feedback": "feedback"}


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

    def to_json(self) -> dict:
        return asdict(self)


def ingest_file(con, kind: str, path: str | Path, *, column_map: dict[str, str] | None = None,
                stage_map: dict[str, str] | None = None, date_formats: dict[str, str] | None = None,
                pass_mark: float = 0.8, uploaded_by: str | None = None, file_name: str | None = None,
                dry_run: bool = False, _fail_after_versions: bool = False) -> UploadResult:
    """Ingest one export of `kind`; all or nothing. dry_run computes the preview and writes nothing."""
    if kind not in KINDS:
        raise IngestError(f"unknown kind {kind!r}; use one of {', '.join(KINDS)}")
    con.execute("BEGIN TRANSACTION")
    try:
        result = _ingest(con, kind, Path(path), column_map or {}, stage_map or {}, date_formats or {},
                         pass_mark, uploaded_by or _whoami(), file_name, dry_run, _fail_after_versions)
        if dry_run:
            con.execute("ROLLBACK")
        else:
            con.execute("COMMIT")
        return result
    except BaseException:
        con.execute("ROLLBACK")
        raise


def _whoami() -> str:
    try:
        return getpass.getuser()
    except Exception:
        return "unknown"


def _ingest(con, kind, path, column_map, stage_map, date_formats, pass_mark, who, file_name, dry_run,
            fail_after) -> UploadResult:
    raw = load_raw(con, path, file_name)
    effective = kind
    if kind == "crm" and looks_like_users_file(raw.headers) and not column_map:
        effective = "crm_users"
    mapping = match_columns(effective, raw.headers, column_map)
    check_required(effective, mapping, raw.headers, raw.file_name)
    source_format = _source_format(effective, raw.headers, raw.delimiter)
    ctx = Context(con=con, kind=effective, headers=raw.headers, mapping=mapping, delimiter=raw.delimiter,
                  source_format=source_format, stage_overrides=stage_map, date_overrides=date_formats,
                  pass_mark=pass_mark)
    ctx.warnings.extend(raw.warnings)
    key_sql = STAGERS[effective](ctx)
    table, key_col, columns = TARGETS[effective]
    reasons = ", ".join(f"CASE WHEN {cond} THEN {reason} END" for cond, reason in ctx.checks) or "NULL"
    selects = ", ".join(f"{expr} AS {name}" for name, expr in ctx.select.items())
    inner = "".join(f", {expr} AS {name}" for name, expr in ctx.inner.items())
    flags = "".join(f", {expr} AS {name}" for name, expr in ctx.flags.items())
    con.execute("DROP TABLE IF EXISTS staged")
    con.execute(f"""
        CREATE TEMP TABLE staged AS
        SELECT line_number, {key_sql} AS record_key, {selects},
               nullif(concat_ws('; ', {reasons}), '') AS reject_reason{flags}
        FROM (SELECT r.*{inner} FROM raw_rows r {' '.join(ctx.joins)})
    """, ctx.params)
    if ctx.flags:
        counts = con.execute("SELECT " + ", ".join(f"count(*) FILTER (WHERE {f})" for f in ctx.flags)
                             + " FROM staged").fetchone()
        for flag, n in zip(ctx.flags, counts):
            if n:
                ctx.warnings.append(f"{ctx.flag_headers[flag]}: {n} placeholder date(s) beyond 2100 "
                                    "(e.g. 31.12.3999) read as empty")

    upload_id = con.execute("SELECT coalesce(max(upload_id), 0) + 1 FROM uploads").fetchone()[0]
    result = UploadResult(upload_id=None if dry_run else upload_id, kind=effective, file=raw.file_name,
                          source_format=source_format, encoding=raw.encoding,
                          delimiter={"\t": "tab"}.get(raw.delimiter, raw.delimiter),
                          columns={t: raw.headers[i] for t, i in sorted(mapping.items(), key=lambda kv: kv[1])},
                          details=ctx.info, dry_run=dry_run)

    # Rejected rows: unreadable lines and rows whose values do not convert, kept with their raw values.
    con.execute("DROP TABLE IF EXISTS new_rejects")
    con.execute("CREATE TEMP TABLE new_rejects (line_number INTEGER, reason VARCHAR, raw_json VARCHAR)")
    if raw.bad_lines:
        con.executemany("INSERT INTO new_rejects VALUES (?, ?, ?)",
                        [(ln, reason, json.dumps({"line": text})) for ln, reason, text in raw.bad_lines])
    pairs = ", ".join(f"$h{i}, r.c{i}" for i in range(len(raw.headers)))
    hparams = {f"h{i}": (h or f"column {i + 1}") + ("" if raw.headers.index(h) == i else f" ({i + 1})")
               for i, h in enumerate(raw.headers)}
    con.execute(f"""
        INSERT INTO new_rejects
        SELECT s.line_number, s.reject_reason, json_object({pairs})::VARCHAR
        FROM staged s JOIN raw_rows r USING (line_number) WHERE s.reject_reason IS NOT NULL
    """, hparams)

    hash_cols = ", ".join(f"coalesce({c}::VARCHAR, '')" for c in columns)
    # The version in force: current fact tables carry it; the small reference kinds read their versions.
    current = (f"SELECT {key_col} AS k, row_hash FROM {FACT_TABLES[effective]}" if effective in FACT_TABLES else
               f"SELECT {key_col} AS k, row_hash FROM {table} "
               f"QUALIFY row_number() OVER (PARTITION BY {key_col} ORDER BY upload_id DESC) = 1")
    has_twins = con.execute("SELECT count(*) > count(DISTINCT record_key) FROM staged "
                            "WHERE reject_reason IS NULL").fetchone()[0]
    dedupe = ("QUALIFY row_number() OVER (PARTITION BY record_key ORDER BY line_number DESC) = 1"
              if has_twins else "")
    con.execute("DROP TABLE IF EXISTS classified")
    con.execute(f"""
        CREATE TEMP TABLE classified AS
        SELECT g.*, CASE WHEN c.row_hash IS NULL THEN 'insert' WHEN c.row_hash <> g.row_hash THEN 'update'
                         ELSE 'unchanged' END AS action
        FROM (SELECT * EXCLUDE (reject_reason{''.join(', ' + f for f in ctx.flags)}),
                     md5(concat_ws('|', {hash_cols})) AS row_hash
              FROM staged WHERE reject_reason IS NULL
              -- Duplicates inside the file: the last occurrence of a key wins (deterministic), counted below.
              {dedupe}) g
        LEFT JOIN ({current}) c ON c.k = g.record_key
    """)
    n_good = con.execute("SELECT count(*) FROM staged WHERE reject_reason IS NULL").fetchone()[0]
    n_kept = con.execute("SELECT count(*) FROM classified").fetchone()[0]
    if n_good > n_kept:
        ctx.warnings.append(f"{n_good - n_kept} row(s) repeat a record that appears again later in the file; "
                            "the last occurrence was kept")
    if effective == "crm" and "derived_key" not in ctx.info:
        twins = con.execute("""
            SELECT count(*) FROM (SELECT lower(account_name), lower(opportunity_name), created_date, count(*) n
            FROM classified WHERE opportunity_name IS NOT NULL GROUP BY ALL HAVING n > 1)""").fetchone()[0]
        if twins:
            ctx.warnings.append(f"{twins} deal(s) appear under more than one record id with the same name, "
                                "account and created date (a re-import?); they are kept as separate deals")

    counts = dict(con.execute("SELECT action, count(*) FROM classified GROUP BY action").fetchall())
    result.rows_read = raw.n_rows + len(raw.bad_lines)
    result.rows_inserted = counts.get("insert", 0)
    result.rows_updated = counts.get("update", 0)
    result.rows_unchanged = counts.get("unchanged", 0) + (n_good - n_kept)
    result.rows_rejected = con.execute("SELECT count(*) FROM new_rejects").fetchone()[0]
    result.rows_skipped = raw.n_skipped
    result.rejects = [{"line": ln, "reason": reason} for ln, reason in con.execute(
        "SELECT line_number, reason FROM new_rejects ORDER BY line_number LIMIT $n",
        {"n": MAX_REJECTS_SHOWN}).fetchall()]
    result.warnings = ctx.warnings

    con.execute("""
        INSERT INTO uploads (upload_id, kind, file_name, sha256, source_format, encoding, delimiter, options_json,
            uploaded_by, uploaded_at, n_read, n_inserted, n_updated, n_unchanged, n_rejected, n_skipped,
            warnings_json, status)
        VALUES ($id, $kind, $file, $sha, $fmt, $enc, $delim, $opts, $who, $at, $read, $ins, $upd, $unch, $rej,
            $skip, $warn, 'active')
    """, {"id": upload_id, "kind": effective, "file": raw.file_name, "sha": raw.sha256, "fmt": source_format,
          "enc": raw.encoding, "delim": raw.delimiter,
          "opts": json.dumps({"columns": result.columns, **ctx.info}, default=str), "who": who,
          "at": datetime.now(timezone.utc).replace(tzinfo=None), "read": result.rows_read,
          "ins": result.rows_inserted, "upd": result.rows_updated, "unch": result.rows_unchanged,
          "rej": result.rows_rejected, "skip": result.rows_skipped, "warn": json.dumps(ctx.warnings)})
    con.execute("INSERT INTO rejected_rows SELECT $id, line_number, reason, raw_json FROM new_rejects "
                "ORDER BY line_number", {"id": upload_id})
    col_list = ", ".join(columns)
    con.execute(f"""
        INSERT INTO {table} (upload_id, {key_col}, row_hash, line_number, {col_list})
        SELECT $id, record_key, row_hash, line_number, {col_list} FROM classified
        WHERE action IN ('insert', 'update') ORDER BY line_number
    """, {"id": upload_id})
    if fail_after:
        raise RuntimeError("simulated failure in the middle of an upload")
    if result.rows_inserted or result.rows_updated:
        incoming = None
        if effective in FACT_TABLES:
            con.execute(f"CREATE OR REPLACE TEMP VIEW incoming AS SELECT record_key AS {key_col}, "
                        f"{int(upload_id)} AS upload_id, * EXCLUDE (record_key, action) "
                        "FROM classified WHERE action <> 'unchanged'")
            incoming = "incoming"
        rebuild(con, effective if effective in FACT_TABLES else "reference", upload_id, incoming)
    else:
        bump_data_version(con)
    con.execute("DROP VIEW IF EXISTS incoming")
    for t in ("staged", "classified", "new_rejects", "raw_rows"):
        con.execute(f"DROP TABLE IF EXISTS {t}")
    return result


def _source_format(kind: str, headers: list[str], delimiter: str) -> str:
    if kind == "crm":
        return detect_crm_format(headers, delimiter)
    if kind == "crm_users":
        return "salesforce_users"
    if kind == "quiz":
        low = " ".join(h.lower() for h in headers)
        if "grade/" in low.replace(" ", "") or "started on" in low:
            return "moodle"
        if "timestamp" in low and "email address" in low:
            return "google_forms"
        return "lms"
    return {"feedback": "feedback_log", "messages": "message_catalog", "reps": "roster"}[kind]


VERSION_TABLES = ("opportunity_versions", "quiz_attempt_versions", "feedback_versions", "message_versions",
                  "rep_versions")


def undo(con, upload_id: int) -> dict:
    """Revert one upload: its new records go, records it changed return to their previous version."""
    con.execute("BEGIN TRANSACTION")
    try:
        row = con.execute("SELECT kind, file_name, status FROM uploads WHERE upload_id = $id",
                          {"id": upload_id}).fetchone()
        if row is None:
            raise IngestError(f"no upload with id {upload_id}")
        if row[2] == "undone":
            raise IngestError(f"upload {upload_id} ({row[1]}) was already undone")
        removed = 0
        for t in VERSION_TABLES:
            removed += con.execute(f"SELECT count(*) FROM {t} WHERE upload_id = $id", {"id": upload_id}).fetchone()[0]
            con.execute(f"DELETE FROM {t} WHERE upload_id = $id", {"id": upload_id})
        con.execute("UPDATE uploads SET status = 'undone', undone_at = $t WHERE upload_id = $id",
                    {"id": upload_id, "t": datetime.now(timezone.utc).replace(tzinfo=None)})
        rebuild(con)
        con.execute("COMMIT")
    except BaseException:
        con.execute("ROLLBACK")
        raise
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
    import pandas as pd
    rows = rejected_rows(con, upload_id)
    values = pd.DataFrame([json.loads(r) if r else {} for r in rows["raw_json"]], index=rows.index)
    return pd.concat([rows[["line_number", "reason"]], values], axis=1)
