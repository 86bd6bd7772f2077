"""The command line: parse arguments, call the library, print. Output names and JSON keys are a public interface.

Library modules are imported inside each command so that `--help` and the light commands stay fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from contextlib import contextmanager
from datetime import date
from pathlib import Path

from . import db, settings
from .ingest.errors import IngestError
from .ingest.kinds import UPLOAD_KINDS

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

    up = with_db(sub.add_parser("uploads", help="list the upload history"))
    up.add_argument("--json", action="store_true")

    un = with_db(sub.add_parser("undo", help="revert one upload"))
    un.add_argument("upload_id", type=int)
    un.add_argument("--json", action="store_true")

    rj = with_db(sub.add_parser("rejects", help="an upload's rejected rows as CSV"))
    rj.add_argument("upload_id", type=int)

    rp = with_db(sub.add_parser("reps", help="list reps"))
    rp.add_argument("--unmatched", action="store_true", help="only people that match no roster rep")
    rp.add_argument("--json", action="store_true")

    dm = with_db(sub.add_parser("demo", help="regenerate the demo CSVs and build the demo database"))
    dm.add_argument("--out", type=Path, default=db.ROOT / "data" / "demo")
    dm.add_argument("--seed", type=int, default=7)
    dm.add_argument("--reps", type=int, default=150)
    dm.add_argument("--no-db", action="store_true", help="only write the CSVs")

    rep = with_db(sub.add_parser("report", help="message scorecard with adjusted win-rate lifts"))
    rep.add_argument("--as-of", type=_date)
    rep.add_argument("--json", action="store_true")

    fc = with_db(sub.add_parser("forecast", help="expected quiz score per rep, message and date"))
    fc.add_argument("--on", type=_date, action="append", required=True, metavar="DATE")
    fc.add_argument("--format", choices=("csv", "json"), default="csv")
    fc.add_argument("--target", type=float, default=settings.RETENTION_TARGET)
    return p


@contextmanager
def _connect(args):
    """The database of --db (default $HUDDLE_DB), closed when the command is done."""
    con = db.connect(args.db)
    try:
        yield con
    finally:
        con.close()


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return COMMANDS[args.command](args)
    except (IngestError, db.DatabaseBusy) as exc:
        print(f"error: {exc}", file=sys.stderr)
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
    changed = False
    with _connect(args) as con:
        # Kinds are ingested in file order; a users file beside opportunities is recognized by its headers.
        for path in args.files:
            result = ingest_file(con, args.kind, path, pass_mark=args.pass_mark, uploaded_by=args.user,
                                 dry_run=args.dry_run, **options)
            print(_ingest_json(result) if args.json else _describe(result))
            changed = changed or bool(result.rows_inserted or result.rows_updated)
        if changed and not args.dry_run:
            from .refresh import refresh      # only now: it loads the models, which a no-op re-upload never needs
            refresh(con)  # the pages' default view, stored for this data version
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
    if r.details.get("date_formats"):
        lines.append("  dates: " + ", ".join(f"{k} as {v}" for k, v in r.details["date_formats"].items()))
    for w in r.warnings:
        lines.append(f"  warning: {w}")
    for rej in r.rejects:
        lines.append(f"  rejected line {rej['line']}: {rej['reason']}")
    if r.rows_rejected > len(r.rejects):
        lines.append(f"  ... {r.rows_rejected - len(r.rejects)} more (python -m analytics rejects {r.upload_id})")
    return "\n".join(lines)


def _print_frame(df, as_json: bool) -> None:
    if as_json:
        print(df.to_json(orient="records", date_format="iso"))
    elif df.empty:
        print("(none)")
    else:
        print(df.to_string(index=False))


def cmd_uploads(args) -> int:
    from .ingest.load import list_uploads
    with _connect(args) as con:
        _print_frame(list_uploads(con), args.json)
    return 0


def cmd_undo(args) -> int:
    from .ingest.load import undo
    from .refresh import refresh
    with _connect(args) as con:
        out = undo(con, args.upload_id)
        refresh(con)
    print(json.dumps(out) if args.json else
          f"undid upload {out['upload_id']} ({out['kind']}, {out['file']}): {out['versions_removed']} record "
          "versions removed")
    return 0


def cmd_rejects(args) -> int:
    from .ingest.load import rejected_rows_table
    from .safe_csv import write_csv
    with _connect(args) as con:
        sys.stdout.write(write_csv(rejected_rows_table(con, args.upload_id)))
    return 0


def cmd_reps(args) -> int:
    from .model.people import list_reps
    with _connect(args) as con:
        _print_frame(list_reps(con, unmatched_only=args.unmatched), args.json)
    return 0


def cmd_demo(args) -> int:
    from .demo_load import build_demo
    summary = build_demo(args.out, None if args.no_db else db.resolve_path(args.db), seed=args.seed,
                         n_reps=args.reps)
    print(json.dumps(summary, default=str, indent=2))
    return 0


def cmd_report(args) -> int:
    from .views.report import build_report, format_report_table
    with _connect(args) as con:
        report = build_report(con, args.as_of)
    print(json.dumps(report, default=str) if args.json else format_report_table(report))
    return 0


def cmd_forecast(args) -> int:
    from .views.forgetting import forecast, forecast_rows
    from .safe_csv import write_csv
    with _connect(args) as con:
        rows = forecast_rows(forecast(con, args.on, target=args.target))
    if args.format == "json":
        print(json.dumps(rows.to_dict(orient="records"), default=str))
    else:
        sys.stdout.write(write_csv(rows))
    return 0


COMMANDS = {"ingest": cmd_ingest, "uploads": cmd_uploads, "undo": cmd_undo, "rejects": cmd_rejects,
            "reps": cmd_reps, "demo": cmd_demo, "report": cmd_report, "forecast": cmd_forecast}
