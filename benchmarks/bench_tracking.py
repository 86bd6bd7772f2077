"""Benchmark: message trackers over many activities of ~200 words, and an incremental upload of new ones.

Builds a store in /tmp with N activities (default 1,000,000; speaker turns drawn from a pool of call sentences, one
in ten from the labelled tracker fixture), then times `track_activities` over all of them (peak RSS of this
process), then uploads 10,000 new activities as a call export and checks that only those were scored.

    nice .venv/bin/python benchmarks/bench_tracking.py [--activities 1000000] [--json] [--built /tmp/store.duckdb]

Besides the process's CPU seconds it reports each thread's time on a CPU and waiting for one (Linux schedstat): the
busiest thread's CPU bounds how fast any machine can run the tracking, and the wall time without the waits estimates
it on an idle one.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import resource
import shutil
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from analytics import db  # noqa: E402
from analytics.estimators.tracker import fixture  # noqa: E402
from analytics.ingest import tracking  # noqa: E402
from analytics.ingest.load import ingest_file  # noqa: E402

FILLER = [
    "Thanks for making the time today, I know the week is busy.", "Can everyone hear me okay?",
    "Let me share my screen for a second.", "So tell me a bit about how your team runs pipeline reviews today.",
    "How many reps are on the team right now, and how many are you hiring this year?",
    "What does a typical onboarding look like for a new account executive?",
    "We usually start with a short pilot and a kickoff with the managers.", "That makes sense.",
    "Who else would need to be involved in a decision like this?", "Is the budget set for this quarter or next?",
    "I'll follow up with a recap and the next steps by end of day.", "Got it, that's really helpful context.",
    "We work with a lot of teams in financial services and healthcare.", "Sounds good, talk to you Thursday.",
    "Our reps spend a lot of time in spreadsheets updating the forecast.",
    "What would success look like in six months?",
    "The renewal is coming up in March, so timing matters for us.", "I can send over the pricing sheet after this.",
    "Do you have a preferred time for the technical deep dive?", "We had a few issues with adoption last year.",
    "Let me check with my manager and get back to you on the discount.", "Honestly the main pain is visibility.",
    "Our managers want to coach more but they don't have the data.", "Yeah, that is exactly what we see too.",
    "Can you walk me through how the integration with Salesforce works?",
    "Perfect, I'll put it in the calendar.",
]
REP, PROSPECT = "Ana Lopez", "Sam Carter"


def build(path: Path, n: int, seed: int = 7) -> None:
    """A store with the catalog, one rep and n activities with their turns (written straight into the tables:
    the upload is not what is timed)."""
    snippets, catalog = fixture()
    con = db.connect(path)
    catalog.drop(columns="message_id").to_csv(path.parent / "catalog.csv", index=False)
    ingest_file(con, "messages", path.parent / "catalog.csv")
    (path.parent / "reps.csv").write_text(f"Name,Email,Team\n{REP},ana@example.com,East\n")
    ingest_file(con, "reps", path.parent / "reps.csv")
    rep_id = con.execute("SELECT rep_id FROM reps").fetchone()[0]
    pool = FILLER * 4 + snippets["snippet"].tolist()[:len(FILLER) * 4 // 9]        # about one in ten a snippet
    con.execute("CREATE TEMP TABLE pool AS SELECT unnest($p) AS s, generate_subscripts($p, 1) - 1 AS i",
                {"p": pool})
    m = len(pool)
    # 8 turns of 2 sentences (~12 words each): about 200 words an activity
    con.execute(f"""
        INSERT INTO activity_turns
        SELECT 'bench-' || lpad(a::VARCHAR, 8, '0'), k + 1, CASE WHEN k % 2 = 0 THEN '{REP}' ELSE '{PROSPECT}' END,
               CASE WHEN k % 2 = 0 THEN 'rep' ELSE 'prospect' END, p1.s || ' ' || p2.s
        FROM range({n}) r(a), range(8) q(k),
             LATERAL (SELECT s FROM pool WHERE i = hash(a * 31 + k * 7 + {seed}) % {m}) p1,
             LATERAL (SELECT s FROM pool WHERE i = hash(a * 17 + k * 13 + {seed} + 1) % {m}) p2
    """)
    con.execute(f"""
        INSERT INTO activities (activity_id, rep_id, activity_type, activity_at, activity_date, body, n_words,
                                rep_email, upload_id, row_hash)
        SELECT activity_id, $rep, 'call', TIMESTAMP '2025-01-01' + INTERVAL (hash(activity_id) % 500) DAY,
               (TIMESTAMP '2025-01-01' + INTERVAL (hash(activity_id) % 500) DAY)::DATE,
               string_agg(speaker || ': ' || text, chr(10) ORDER BY turn_no), 200, 'ana@example.com', 0,
               'h' || activity_id
        FROM activity_turns WHERE starts_with(activity_id, 'bench-') GROUP BY activity_id
    """, {"rep": rep_id})
    con.close()


def calls_csv(path: Path, n: int, start: int) -> None:
    """A call export of n new activities with speaker-labelled transcripts."""
    import csv
    snippets, _ = fixture()
    pool = FILLER * 4 + snippets["snippet"].tolist()[:len(FILLER) * 4 // 9]
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["Call ID", "Call Date", "Rep Email", "Title", "Duration", "Transcript"])
        for i in range(start, start + n):
            lines = [f"{REP if k % 2 == 0 else PROSPECT}: {pool[(i * 31 + k * 7) % len(pool)]} "
                     f"{pool[(i * 17 + k * 13) % len(pool)]}" for k in range(8)]
            w.writerow([f"new-{i}", "2026-02-01 10:00", "ana@example.com", "Discovery call", "0:30:00",
                        "\n".join(lines)])


class ThreadClock:
    """Each thread's time on a CPU and waiting for one (Linux schedstat), sampled while a step runs: threads that
    end before the step does (the scoring pool's, DuckDB's) are counted at their last sample."""

    def __init__(self, every: float = 0.1):
        self.every, self.seen, self._stop = every, {}, threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _sample(self) -> None:
        tasks = Path("/proc/self/task")
        for task in tasks.iterdir() if tasks.is_dir() else ():          # Linux only: elsewhere no figures
            try:
                on_cpu, waiting = (int(x) for x in (task / "schedstat").read_text().split()[:2])
            except (OSError, ValueError):
                continue            # the thread ended
            self.seen[task.name] = (on_cpu, waiting)

    def _run(self) -> None:
        while not self._stop.wait(self.every):
            self._sample()

    def __enter__(self) -> "ThreadClock":
        self._sample()
        self.start = dict(self.seen)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()

    def figures(self, wall: float) -> dict:
        """CPU of the busiest thread (no machine runs the step faster), runqueue waits, and the wall time with
        those waits taken out (runnable time stretched alike in every thread: an estimate, not a measurement)."""
        delta = {t: (c - self.start.get(t, (0, 0))[0], w - self.start.get(t, (0, 0))[1])
                 for t, (c, w) in self.seen.items() if t != str(self._thread.native_id)}
        cpu = sum(c for c, _ in delta.values()) / 1e9
        wait = sum(w for _, w in delta.values()) / 1e9
        return {"busiest_thread_cpu_s": round(max((c for c, _ in delta.values()), default=0) / 1e9, 1),
                "threads": len(delta), "threads_cpu_s": round(cpu, 1), "runqueue_wait_s": round(wait, 1),
                "wall_without_waits_s": round(wall * cpu / (cpu + wait), 1) if cpu + wait else 0.0}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--activities", type=int, default=1_000_000)
    ap.add_argument("--new", type=int, default=10_000)
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--built", type=Path, help="a store built before for the same --activities, copied instead of "
                                               "building (built and kept there when missing)")
    args = ap.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="huddle-track-"))
    path = work / "bench.duckdb"
    t0 = time.monotonic()
    if args.built is None or not args.built.exists():
        builder = multiprocessing.get_context("spawn").Process(target=build, args=(path, args.activities))
        builder.start()          # in a process of its own: this one's peak memory is the tracking's
        builder.join()
        if args.built is not None:
            shutil.copy(path, args.built)
    else:
        shutil.copy(args.built, path)
    built = time.monotonic() - t0
    con = db.connect(path)
    con.execute("SET memory_limit = '1GB'")
    rss0 = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    t0, cpu0 = time.monotonic(), time.process_time()
    with ThreadClock() as clock:
        full = tracking.track_activities(con)
    full_s, full_cpu = time.monotonic() - t0, time.process_time() - cpu0
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    calls_csv(work / "calls.csv", args.new, args.activities)
    before = con.execute("SELECT count(*), max(tracked_at) FROM tracked_activities").fetchone()
    t0 = time.monotonic()
    up = ingest_file(con, "activity", work / "calls.csv")
    upload_s = time.monotonic() - t0
    after = con.execute("SELECT count(*) FROM tracked_activities").fetchone()[0]
    rescored_old = con.execute("SELECT count(*) FROM tracked_activities WHERE tracked_at > $t AND "
                               "activity_id LIKE 'bench-%'", {"t": before[1]}).fetchone()[0]
    t0 = time.monotonic()
    again = tracking.track_activities(con)
    noop_s = time.monotonic() - t0
    out = {"activities": args.activities, "build_s": round(built, 1), "track_all_s": round(full_s, 1),
           "track_all_cpu_s": round(full_cpu, 1), **clock.figures(full_s),
           "load_average_1min": round(__import__("os").getloadavg()[0], 1),
           "activities_per_s": round(args.activities / full_s), "mentions": full["mentions"],
           "activities_matched": full["activities_matched"], "peak_rss_mb": round(rss), "rss_before_mb": round(rss0),
           "upload_new": up.rows_inserted, "upload_with_tracking_s": round(upload_s, 1),
           "newly_tracked": after - before[0], "old_rescored": rescored_old,
           "nothing_new_track_s": round(noop_s, 2), "nothing_new_scored": again["activities_scored"]}
    print(json.dumps(out) if args.json else "\n".join(f"{k}: {v}" for k, v in out.items()))
    con.close()
    shutil.rmtree(work)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
