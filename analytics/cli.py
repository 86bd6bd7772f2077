"""The command line: parse arguments, call the library, print. Output names and JSON keys are a public interface.

Library modules are imported inside each command so that `--help` and the light commands stay fast.
Longer than most modules because it holds one short function per command (a dozen) and their argument parsers.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager, nullcontext
from datetime import date
from pathlib import Path

from . import db, settings
from .lake import LakeError
from .lake_write import CommitFailed
from .store_config import StoreConfigError, resolve
from .ingest.errors import IngestError
from .ingest.kinds import UPLOAD_KINDS
from .safe_csv import terminal_text

# `ingest --json` prints these keys first, in this order, then every other key of the result.
INGEST_JSON_KEYS = ("upload_id", "kind", "file", "source_format", "rows_read", "rows_inserted", "rows_updated",
                    "rows_unchanged", "rows_rejected", "rows_skipped", "rejects", "warnings")


def _pairs(values: list[str] | None, flag: str) -> dict[str, str]:
    out = {}
    for item in values or []:
        if "=" not in item:
            raise IngestError(f"{flag} {item}: expected NAME=VALUE")
        k, v = item.split("=", 1)
        out[k.strip()] = v.strip()
    return out


def _date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a date (YYYY-MM-DD)") from None


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="python -m analytics", description="Huddle: message adoption, retention "
                                "and win-rate analytics.")
    sub = p.add_subparsers(dest="command", required=True)

    def with_db(sp):
        sp.add_argument("--db", help=f"database file (default: ${settings.DB_ENV} or data/huddle.duckdb)")
        sp.add_argument("--store", help=f"ducklake:postgres:<connection string> for the shared store (default: "
                        f"${settings.STORE_ENV}; unset or empty: the database file)")
        sp.add_argument("--data-path", help=f"the shared store's data folder (default: ${settings.DATA_PATH_ENV})")
        return sp

    def with_refresh(sp):
        sp.add_argument("--refresh", choices=("background", "wait", "skip"),
                        default=settings.refresh_mode(),
                        help="after a change, refresh the dashboard's precomputed default view in a detached "
                             "process (background, the default: the command returns once the data is committed), "
                             f"before returning (wait), or not at all (skip); default ${settings.REFRESH_ENV} "
                             "or background")
        return sp

    ing = with_db(sub.add_parser("ingest", help="load exports into the database"))
    ing.add_argument("kind", choices=UPLOAD_KINDS)
    ing.add_argument("files", nargs="+", type=Path)
    ing.add_argument("--json", action="store_true", help="print one JSON object per file")
    ing.add_argument("--map", action="append", metavar="FIELD=HEADER", help="name the column for a field")
    ing.add_argument("--stage", action="append", metavar="STAGE=OUTCOME", help="map a stage to won/lost/open")
    ing.add_argument("--date-format", action="append", metavar="FIELD=FMT",
                     help="force a date format (ISO, MDY, DMY, EXCEL) for a field, or *=FMT for all")
    ing.add_argument("--pass-mark", type=float, default=settings.PASS_MARK,
                     help=f"score that passes a quiz (default {settings.PASS_MARK})")
    ing.add_argument("--dry-run", action="store_true", help="show what would change, write nothing")
    ing.add_argument("--user", help="who is uploading (default: the OS user)")
    with_refresh(ing)

    up = with_db(sub.add_parser("uploads", help="list the upload history"))
    up.add_argument("--json", action="store_true")

    un = with_db(sub.add_parser("undo", help="revert one upload"))
    un.add_argument("upload_id", type=int)
    un.add_argument("--json", action="store_true")
    with_refresh(un)

    rj = with_db(sub.add_parser("rejects", help="an upload's rejected rows as CSV"))
    rj.add_argument("upload_id", type=int)

    rp = with_db(sub.add_parser("reps", help="list reps"))
    rp.add_argument("--unmatched", action="store_true", help="only people that match no roster rep")
    rp.add_argument("--json", action="store_true")

    mp = with_db(sub.add_parser("mappings", help="list remembered column mappings, or delete one"))
    mp.add_argument("action", nargs="?", choices=("list", "delete"), default="list")
    mp.add_argument("mapping_id", nargs="?", type=int)
    mp.add_argument("--json", action="store_true")

    dm = with_db(sub.add_parser("demo", help="regenerate the demo CSVs and build the demo database"))
    dm.add_argument("--out", type=Path, default=db.ROOT / "data" / "demo")
    dm.add_argument("--seed", type=int, default=7)
    dm.add_argument("--reps", type=int, default=150)
    dm.add_argument("--no-db", action="store_true", help="only write the CSVs")

    rep = with_db(sub.add_parser("report", help="message scorecard with adjusted win-rate lifts"))
    rep.add_argument("--as-of", type=_date)
    rep.add_argument("--json", action="store_true")
    rep.add_argument("--estimator", choices=("imputation_lift", "robust_imputation"), default="imputation_lift",
                     help="adjusted lift estimator (robust_imputation adds diagnostics and event_study per message)")

    fc = with_db(sub.add_parser("forecast", help="expected quiz score per rep, message and date"))
    fc.add_argument("--on", type=_date, action="append", metavar="DATE", help="required unless --evaluate")
    fc.add_argument("--format", choices=("csv", "json"), default="csv")
    fc.add_argument("--target", type=float, default=settings.RETENTION_TARGET)
    fc.add_argument("--evaluate", action="store_true",
                    help="print the time-ordered evaluation instead (log loss, AUC, MAE per forecast)")
    fc.set_defaults(forecast_parser=fc)

    dg = with_db(sub.add_parser("digest", help="one-page weekly summary per message (adoption vs plan, retention "
                                "due, lift with its evidence, new feedback themes, messages needing attention)"))
    dg.add_argument("--week", type=_week, help="ISO week, e.g. 2026-W49 (default: last week)")
    dg.add_argument("--format", choices=("md", "html"), default="md")
    dg.add_argument("--out", type=Path, help="write the digest to this file instead of printing it")
    dg.add_argument("--send", action="store_true",
                    help=f"also deliver it: e-mail via ${settings.SMTP_HOST_ENV} to ${settings.SMTP_TO_ENV}, and/or "
                         f"a Slack/Teams incoming webhook at ${settings.WEBHOOK_ENV}")

    tk = with_db(sub.add_parser("track", help="score calls, emails and notes for message mentions (those not yet "
                                "scored at the current tracker version)"))
    tk.add_argument("--all", action="store_true", help="score every activity again")
    tk.add_argument("--json", action="store_true")
    with_refresh(tk)

    mt = with_db(sub.add_parser("maintain", help="nightly upkeep of the store (merge small files, expire old "
                                "snapshots, delete unreferenced files; on the file: a checkpoint)"))
    mt.add_argument("--expire-days", type=float, default=7.0, help="keep snapshots this many days (default 7)")
    mt.add_argument("--orphan-hours", type=float, default=1.0,
                    help="delete unreferenced data files older than this (default 1; never younger)")
    mt.add_argument("--json", action="store_true")
    return p


def _store(args):
    """The store of --store/--data-path/--db, else of the environment ($HUDDLE_STORE, $HUDDLE_DB)."""
    return resolve(args.store, args.db, args.data_path)


def _print(text="", file=None, flush: bool = False) -> None:
    """print() for everything the CLI shows: data (names, notes, file names) may hold terminal escape sequences."""
    print(terminal_text(str(text)), file=file or sys.stdout, flush=flush)


def _write(text: str) -> None:
    sys.stdout.write(terminal_text(text))


@contextmanager
def _connect(args):
    """A connection to read the store (--store, else --db / $HUDDLE_DB), closed when the command is done."""
    from .stores import reading
    with reading(_store(args), wait_seconds=30.0) as con:
        yield con


def _after_change(args) -> None:
    """The dashboard's precomputed default view, refreshed as --refresh says (the data is committed already)."""
    from .refresh_worker import run_until_current, spawn
    if args.refresh == "wait":
        run_until_current(_store(args))
    elif args.refresh == "background":
        spawn(_store(args))


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "forecast" and not args.on and not args.evaluate:
        args.forecast_parser.error("the following arguments are required: --on")
    try:
        return COMMANDS[args.command](args)
    except (IngestError, db.DatabaseBusy, StoreConfigError, LakeError, CommitFailed) as exc:
        _print(f"error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into head & co.
        sys.stderr.close()
        return 0


def cmd_ingest(args) -> int:
    from .ingest.load import ingest_file
    options = dict(column_map=_pairs(args.map, "--map"), stage_map=_pairs(args.stage, "--stage"),
                   date_formats=_pairs(args.date_format, "--date-format"))
    for name, fmt in options["date_formats"].items():
        if fmt.upper() not in ("ISO", "MDY", "DMY", "YMD", "EXCEL"):
            raise IngestError(f"--date-format {name}={fmt}: use ISO, MDY, DMY, YMD or EXCEL")
    from .stores import write, writing
    cfg = _store(args)
    changed = False
    # Kinds are ingested in file order; a users file beside opportunities is recognized by its headers.
    # Each file is one turn of the writer lock, committed (on the file: published) before the next; a preview
    # writes nothing and takes no lock.
    from .ingest.transcripts import prepare_batch
    import tempfile
    with (writing(cfg, lock=False) if args.dry_run else nullcontext()) as con, \
            tempfile.TemporaryDirectory(prefix="huddle-") as tmp:
        # transcript files (.vtt, .srt, .txt) and their side CSV load as one activity upload
        for path, name, notes in prepare_batch(args.kind, [(p, p.name) for p in args.files], tmp):
            if not args.dry_run:
                result = write(cfg, ingest_file, args.kind, path, pass_mark=args.pass_mark,
                               uploaded_by=args.user, file_name=name, **options)
            else:
                result = ingest_file(con, args.kind, path, pass_mark=args.pass_mark, uploaded_by=args.user,
                                     dry_run=args.dry_run, file_name=name, **options)
            result.warnings[:0] = notes
            _print(_ingest_json(result) if args.json else _describe(result), flush=True)
            changed = changed or bool(result.rows_inserted or result.rows_updated)
    if changed and not args.dry_run:
        _after_change(args)   # the pages' default view, for this data version, off the upload's path
    return 0


def _ingest_json(r) -> str:
    out = r.to_json()
    first = {k: out[k] for k in INGEST_JSON_KEYS}
    return json.dumps({**first, **{k: v for k, v in out.items() if k not in first}}, default=str)


def _describe(r) -> str:
    head = "would load" if r.dry_run else f"upload {r.upload_id}:"
    lines = [f"{head} {r.file} as {r.kind} ({r.source_format}, {r.encoding}, delimiter {r.delimiter!r})",
             f"  read {r.rows_read}  inserted {r.rows_inserted}  updated {r.rows_updated}  "
             f"unchanged {r.rows_unchanged}  rejected {r.rows_rejected}  skipped {r.rows_skipped} (footers)"]
    if r.details.get("stage_map"):
        lines.append("  stages: " + ", ".join(f"{k} -> {v}" for k, v in r.details["stage_map"].items()))
    if r.details.get("remembered_mapping"):
        m = r.details["remembered_mapping"]
        lines.append(f"  columns: remembered mapping {m['mapping_id']} for files of this shape ("
                     + ", ".join(f"{k}={v}" for k, v in m["columns"].items())
                     + f"; python -m analytics mappings delete {m['mapping_id']} forgets it)")
    if r.details.get("mapping_saved"):
        lines.append(f"  columns: mapping saved as {r.details['mapping_saved']}; the next export of this shape uses it")
    for info in r.inference.values():
        lines.append(f"  {info['reason']} ({info['confidence']:.0%})")
    if r.details.get("date_formats"):
        lines.append("  dates: " + ", ".join(f"{k} as {v}" for k, v in r.details["date_formats"].items()))
    for w in r.warnings:
        lines.append(f"  warning: {w}")
    if r.missing_optional:
        lines.append("  not found (optional): " + ", ".join(r.missing_optional))
    for u in r.unused_columns:
        lines.append(f"  `{u['column']}`: not used; looks like {u['looks_like']}")
    for rej in r.rejects:
        lines.append(f"  rejected line {rej['line']}: {rej['reason']}")
    if r.rows_rejected > len(r.rejects):
        lines.append(f"  ... {r.rows_rejected - len(r.rejects)} more (python -m analytics rejects {r.upload_id})")
    return "\n".join(lines)


def _print_frame(df, as_json: bool) -> None:
    if as_json:
        _print(df.to_json(orient="records", date_format="iso"))
    elif df.empty:
        _print("(none)")
    else:
        _print(df.to_string(index=False))


def cmd_uploads(args) -> int:
    from .ingest.load import list_uploads
    with _connect(args) as con:
        _print_frame(list_uploads(con), args.json)
    return 0


def cmd_undo(args) -> int:
    from .ingest.load import undo
    from .stores import write
    out = write(_store(args), undo, args.upload_id)
    _after_change(args)
    _print(json.dumps(out) if args.json else
          f"undid upload {out['upload_id']} ({out['kind']}, {out['file']}): {out['versions_removed']} record "
          "versions removed")
    return 0


def cmd_rejects(args) -> int:
    from .ingest.load import rejected_rows_table
    from .safe_csv import write_csv
    with _connect(args) as con:
        _write(write_csv(rejected_rows_table(con, args.upload_id)))
    return 0


def cmd_mappings(args) -> int:
    from .ingest.mappings import delete_mapping, list_mappings
    if args.action == "delete":
        if args.mapping_id is None:
            raise IngestError("mappings delete ID: which mapping? (python -m analytics mappings lists them)")
        from .stores import write
        out = write(_store(args), delete_mapping, args.mapping_id)
        _print(json.dumps(out) if args.json else
               f"forgot mapping {out['mapping_id']} ({out['kind']}); the next export of that shape is inferred again")
        return 0
    with _connect(args) as con:
        _print_frame(list_mappings(con), args.json)
    return 0


def cmd_reps(args) -> int:
    from .model.people import list_reps
    with _connect(args) as con:
        _print_frame(list_reps(con, unmatched_only=args.unmatched), args.json)
    return 0


def cmd_demo(args) -> int:
    from .demo_load import build_demo
    # The demo goes into its own file unless --db names one: $HUDDLE_DB is somebody's real database.
    summary = build_demo(args.out, None if args.no_db else Path(args.db) if args.db else db.DEMO_DB,
                         seed=args.seed, n_reps=args.reps)
    _print(json.dumps(summary, default=str, indent=2))
    return 0


def cmd_report(args) -> int:
    from .views.report import build_report, format_report_table
    with _connect(args) as con:
        report = build_report(con, args.as_of, estimator=args.estimator)
    _print(json.dumps(report, default=str) if args.json else format_report_table(report))
    return 0


def cmd_forecast(args) -> int:
    from .views.forgetting import forecast, forecast_rows
    from .safe_csv import write_csv
    if args.evaluate:
        return _print_evaluation(args)
    with _connect(args) as con:
        rows = forecast_rows(forecast(con, args.on, target=args.target))
    if args.format == "json":
        _print(json.dumps(rows.to_dict(orient="records"), default=str))
    else:
        _write(write_csv(rows))
    return 0


def _print_evaluation(args) -> int:
    """forecast --evaluate: one row per forecast (memory model, FSRS-6, last outcome, mean) with its metrics."""
    from .safe_csv import write_csv
    from .views.retention import evaluation
    with _connect(args) as con:
        result = evaluation(con)        # the stored one when the database was refreshed since its last upload
    if result is None:
        _print("error: not enough quiz history to evaluate the forecast (too few repeat attempts)", file=sys.stderr)
        return 2
    metrics = result["metrics"]
    if args.format == "json":
        records = metrics.astype(object).where(metrics.notna(), None).to_dict(orient="records")
        _print(json.dumps({"cutoff": result["cutoff"].isoformat(), "n_train": result["n_train"],
                          "n_test": result["n_test"], "metrics": records}))
    else:
        _write(write_csv(metrics.round(6)))
    return 0


def cmd_maintain(args) -> int:
    from .lake_write import maintain
    from .stores import open_lake, writing
    cfg = _store(args)
    if cfg.is_lake:
        out = maintain(open_lake(cfg), expire_days=args.expire_days, orphan_hours=args.orphan_hours)
    else:
        with writing(cfg) as con:
            con.execute("CHECKPOINT")   # a file has no snapshots or loose files: fold the write-ahead log in
        out = {"store": cfg.describe(), "checkpoint": True}
    _print(json.dumps(out, default=str) if args.json else "\n".join(f"{k}: {v}" for k, v in out.items()))
    return 0


def _week(text: str) -> str:
    from .views.digest import week_bounds
    try:
        week_bounds(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc
    return text


def cmd_digest(args) -> int:
    from .delivery import DeliveryError, configured, post_webhook, send_email
    from .views.digest import last_week, to_html, to_markdown, weekly_digest
    from .views.retention import retention_model
    week = args.week or last_week(date.today())
    channels = configured()
    if args.send and not channels:
        _print(f"error: --send needs ${settings.SMTP_HOST_ENV} and ${settings.SMTP_TO_ENV}, or "
               f"${settings.WEBHOOK_ENV}", file=sys.stderr)
        return 2
    with _connect(args) as con:
        digest = weekly_digest(con, week, retention_model(con))
    markdown, page = to_markdown(digest), to_html(digest)
    text = page if args.format == "html" else markdown
    if args.out:
        args.out.write_text(text, encoding="utf-8")
        _print(f"wrote {args.out}", file=sys.stderr)
    else:
        _write(text)
    if not args.send:
        return 0
    try:
        if "smtp" in channels:
            to = send_email(f"Huddle weekly digest {week}", markdown, page)
            _print(f"sent by e-mail to {len(to)} recipient(s)", file=sys.stderr)
        if "webhook" in channels:
            status = post_webhook(markdown)
            _print(f"posted to the webhook (HTTP {status})", file=sys.stderr)
    except DeliveryError as exc:
        _print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def cmd_track(args) -> int:
    from .ingest.tracking import track_activities
    from .stores import write
    out = write(_store(args), track_activities, only_new=not args.all)
    _after_change(args)
    _print(json.dumps(out) if args.json else
           f"scored {out['activities_scored']} activities against {out['messages']} message trackers (version "
           f"{out['tracker_version']}): {out['mentions']} mentions in {out['activities_matched']} activities; "
           f"{out['kept_without_text']} kept earlier matches (text not kept); {out['seconds']} s")
    return 0


COMMANDS = {"ingest": cmd_ingest, "uploads": cmd_uploads, "undo": cmd_undo, "rejects": cmd_rejects,
            "reps": cmd_reps, "mappings": cmd_mappings, "demo": cmd_demo, "report": cmd_report, "forecast": cmd_forecast,
            "maintain": cmd_maintain, "digest": cmd_digest, "track": cmd_track}
