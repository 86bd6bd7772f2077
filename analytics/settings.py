"""Huddle's settings in one place: the pass mark, targets, limits, environment variable names and fixed texts."""

from __future__ import annotations

import math
import os

# A quiz attempt passes at this share of the maximum score unless the export has a pass/fail column.
PASS_MARK = 0.8
# Retention target: a certified rep should still score at least this share.
RETENTION_TARGET = 0.8

# Evidence tiers of a lift estimate: deals and reps per arm, and the interval a strong tier needs (the rule is in
# analytics.metrics.evidence; the estimators read the same numbers).
MIN_DEALS = {"directional": 30, "moderate": 100, "strong": 400}
MIN_REPS = {"directional": 3, "moderate": 10, "strong": 30}
STRONG_MAX_WIDTH_PP = 10.0
STRONG_MIN_HALF_WIDTHS = 1.5
# Every tier a lift can get, strongest first; `not separable` only from the robust estimator (messages certified
# together: only their joint effect is known).
EVIDENCE_TIERS = ("strong", "moderate", "directional", "not separable", "insufficient")

# Environment variables (each documented in the README).
DB_ENV = "HUDDLE_DB"
MIN_GROUP_SIZE_ENV = "HUDDLE_MIN_GROUP_SIZE"
MAX_UPLOAD_MB_ENV = "HUDDLE_MAX_UPLOAD_MB"
TRUSTED_HEADER_ENV = "HUDDLE_TRUSTED_HEADER"
# Trusted-header mode serves only a loopback address (the proxy's side) unless this is 1: see analytics/auth.py.
ALLOW_PUBLIC_HEADER_ENV = "HUDDLE_ALLOW_PUBLIC_TRUSTED_HEADER"
ROLES_ENV = "HUDDLE_ROLES"
STORE_ENV = "HUDDLE_STORE"            # unset: the local file; ducklake:postgres:<conninfo>: the shared store
DATA_PATH_ENV = "HUDDLE_DATA_PATH"    # the shared store's data folder
REFRESH_ENV = "HUDDLE_REFRESH"        # the command line's --refresh default: background | wait | skip (skip: the
#                                       dashboard's uploads leave the refresh to a timer too)
WRITE_WAIT_ENV = "HUDDLE_WRITE_WAIT_SECONDS"   # how long an upload waits for another writer (default 30)
FSYNC_ENV = "HUDDLE_FSYNC"                     # off: a published file version is not synced to disk (tests only)
# Weekly digest delivery (`python -m analytics digest --send`): e-mail over SMTP and/or an incoming webhook.
SMTP_HOST_ENV = "HUDDLE_SMTP_HOST"
SMTP_PORT_ENV = "HUDDLE_SMTP_PORT"            # default 587 (STARTTLS unless HUDDLE_SMTP_TLS=0)
SMTP_TLS_ENV = "HUDDLE_SMTP_TLS"
SMTP_USER_ENV = "HUDDLE_SMTP_USER"
SMTP_PASSWORD_ENV = "HUDDLE_SMTP_PASSWORD"
SMTP_FROM_ENV = "HUDDLE_SMTP_FROM"
SMTP_TO_ENV = "HUDDLE_SMTP_TO"                # comma-separated addresses
WEBHOOK_ENV = "HUDDLE_DIGEST_WEBHOOK"         # a Slack or Teams incoming-webhook URL
KEEP_TRANSCRIPTS_ENV = "HUDDLE_KEEP_TRANSCRIPTS"  # false: keep only tracker matches, drop call text after tracking

DEFAULT_MIN_GROUP_SIZE = 3
DEFAULT_MAX_UPLOAD_MB = 1024

# A file with more columns than this is refused before its body is read: the widest known export (a Salesforce
# report with every field picked, a Moodle report with a column per question) stays well below it.
MAX_COLUMNS = 500
# Saved uploads of a browser session are swept once untouched this long (the session was closed or abandoned).
UPLOAD_TEMP_MAX_AGE_HOURS = 12

# Shown next to every rep-level figure.
HR_NOTE = ("Rep-level figures describe training and message adoption. They are not a measure of performance "
           "and must not be used for HR decisions.")


def evidence_tier(deals_adopted: int, deals_not_adopted: int, reps_adopted: int, reps_not_adopted: int,
                  lift_pp: float | None, ci_low_pp: float | None, ci_high_pp: float | None, *,
                  capped: bool = False) -> str:
    """The evidence tier of a lift (the rule analytics.metrics.evidence documents), defined here, below the metrics
    and the estimators, so both apply one rule; `capped` (a failed check) means at most directional."""
    deals, reps = min(deals_adopted, deals_not_adopted), min(reps_adopted, reps_not_adopted)
    if _absent(lift_pp) or deals < MIN_DEALS["directional"] or reps < MIN_REPS["directional"]:
        return "insufficient"
    if _absent(ci_low_pp) or _absent(ci_high_pp) or ci_low_pp <= 0 <= ci_high_pp or capped:
        return "directional"
    if deals < MIN_DEALS["moderate"] or reps < MIN_REPS["moderate"]:
        return "directional"
    width = ci_high_pp - ci_low_pp
    if (deals >= MIN_DEALS["strong"] and reps >= MIN_REPS["strong"] and width <= STRONG_MAX_WIDTH_PP
            and abs(lift_pp) >= STRONG_MIN_HALF_WIDTHS * width / 2):
        return "strong"
    return "moderate"


def _absent(x) -> bool:
    """No number: None, NaN, infinity, NaT or pandas' NA (analytics.metrics.missing's rule for numbers)."""
    try:
        return not math.isfinite(float(x))
    except (TypeError, ValueError):
        return True


def min_group_size() -> int:
    """Smallest group whose rep-level aggregate is shown: $HUDDLE_MIN_GROUP_SIZE, default 3."""
    raw = os.environ.get(MIN_GROUP_SIZE_ENV, "").strip()
    try:
        return max(1, int(raw)) if raw else DEFAULT_MIN_GROUP_SIZE
    except ValueError:
        return DEFAULT_MIN_GROUP_SIZE


def max_upload_bytes() -> int:
    """Largest file the command line accepts: $HUDDLE_MAX_UPLOAD_MB, default 1024 MB."""
    raw = os.environ.get(MAX_UPLOAD_MB_ENV, "").strip()
    try:
        mb = float(raw) if raw else DEFAULT_MAX_UPLOAD_MB
    except ValueError:
        mb = DEFAULT_MAX_UPLOAD_MB
    return int(mb * (1 << 20))


def refresh_mode() -> str:
    """What follows a change (the command line's --refresh default, the dashboard's too when `skip`): $HUDDLE_REFRESH,
    default background."""
    return os.environ.get(REFRESH_ENV) or "background"


def fsync() -> bool:
    """Whether the file store syncs each published version to disk: $HUDDLE_FSYNC, default yes. Off only for
    throw-away databases (the test suite, as its PostgreSQL runs with fsync off): a crash may then lose the last
    upload."""
    return os.environ.get(FSYNC_ENV, "").strip().lower() not in {"0", "false", "no", "off"}


def keep_transcripts() -> bool:
    """Whether activity text (transcripts, email bodies) is kept after tracking: $HUDDLE_KEEP_TRANSCRIPTS, default yes."""
    return os.environ.get(KEEP_TRANSCRIPTS_ENV, "").strip().lower() not in {"0", "false", "no", "off"}
