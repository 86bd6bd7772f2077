"""A demo company whose every free-text field is hostile markup, loaded through the real upload path.

The seeded demo world is drawn, its names (messages, segments, teams, regions, managers, reps), some feedback notes
and an outcome are replaced by payloads (markdown link, image, heading, bold, HTML, LaTeX, colour / icon / emoji
directives, ANSI and OSC escapes, a formula), its exports are written under hostile file names, ingested with
analytics.ingest.load.ingest_file by a hostile uploader and refreshed like every upload.
"""

from __future__ import annotations

import re
from pathlib import Path

from analytics import db
from analytics.demo import build_world, write_exports
from analytics.demo_load import DEMO_FILES
from analytics.ingest.load import ingest_file
from analytics.refresh import refresh
from analytics.safe_csv import strip_controls

EVIL = "evil.example"
ANSI = "\x1b]2;pwned\x07\x1b[31m"          # retitles a terminal, then colours it red
RESET = "\x1b[0m"
# How a value starts: markup that only acts at the start of a line or of a cell.
LEADS = ("# ", '=HYPERLINK("http://evil.example","x") ', "- ", "1. ", "", "+")


def payload(word: str, i: int = 0) -> str:
    """A name holding every kind of hostile markup around one distinctive word (the lead rotates with i)."""
    slug = word.lower().replace(" ", "-")
    return (f"{LEADS[i % len(LEADS)]}{word} [login {slug}](http://{EVIL}/{slug}) ![px](http://{EVIL}/{slug}.png) "
            f"**bold** <b>html</b><img src=http://{EVIL}/{slug}.gif> $x^2$ :red[{slug}] :material/warning: :smile: "
            f"{ANSI}{slug}{RESET}")


MESSAGES = {name: payload(word, i) for i, (name, word) in enumerate([
    ("Security-First Value Prop", "Alpha Message"), ("Platform Consolidation Story", "Bravo Message"),
    ("ROI Calculator Talk Track", "Charlie Message"), ("AI Copilot Positioning", "Delta Message")])}
SEGMENTS = {"SMB": payload("Small Segment", 1), "Mid-Market": payload("Middle Segment", 2),
            "Enterprise": payload("Large Segment", 0)}
OUTCOMES = {"Lost interest": payload("Lost Outcome", 3)}
NOTE = payload("Note Text", 0) + " __pwn__ __pwn__ www.evil.example a@evil.example -> <= ~="
UPLOADER = payload("Uploader Name", 2)
FILE_STEM = "[file](http:{0}) **f** $f$ :red[f] \x1b[31m{1}"


def hostile_world(folder: Path, n_reps: int = 40, seed: int = 11) -> dict:
    """Write the hostile exports into folder, build folder/hostile.duckdb from them, return what was planted."""
    world = build_world(seed=seed, n_reps=n_reps)
    _plant(world)
    csv_dir = folder / "csv"
    csv_dir.mkdir(parents=True, exist_ok=True)
    write_exports(world, csv_dir)
    path = folder / "hostile.duckdb"
    con = db.connect(path)
    files = []
    try:
        for i, (kind, name) in enumerate(DEMO_FILES):
            hostile_name = FILE_STEM.format(EVIL, i) + " " + name
            target = csv_dir / hostile_name
            (csv_dir / name).rename(target)
            ingest_file(con, kind, target, uploaded_by=UPLOADER)
            files.append(hostile_name)
        refresh(con)
        con.execute("CHECKPOINT")
    finally:
        con.close()
    return {"db": path, "dir": csv_dir, "files": files, "values": _values(world, files)}


def _plant(world) -> None:
    """Replace the world's free text with payloads, consistently wherever a name is repeated."""
    m = world.messages
    m["name"] = m["name"].map(MESSAGES)
    m["target_segment"] = m["target_segment"].map(lambda s: SEGMENTS.get(s, s))
    world.deals["segment"] = world.deals["segment"].map(SEGMENTS)
    r = world.reps
    teams = {t: payload(f"Team {chr(65 + i)}", i) for i, t in enumerate(dict.fromkeys(r["team"]))}
    regions = {g: payload(f"Region {chr(65 + i)}", i + 1) for i, g in enumerate(dict.fromkeys(r["region"]))}
    managers = {g: payload(f"Manager {chr(65 + i)}", i + 2) for i, g in enumerate(dict.fromkeys(r["manager"]))}
    r["team"], r["region"], r["manager"] = r["team"].map(teams), r["region"].map(regions), r["manager"].map(managers)
    # The quiz export names reps by first and last name: the payload goes into the last name.
    r["last"] = [payload(f"Rep {i}", i)[len(LEADS[i % len(LEADS)]):] for i in range(len(r))]
    r["name"] = r["first"] + " " + r["last"]
    f = world.feedback
    f["notes"] = [NOTE if i % 4 == 0 else n for i, n in enumerate(f["notes"])]
    f["outcome"] = f["outcome"].map(lambda o: OUTCOMES.get(o, o))


def _values(world, files) -> dict[str, list[str]]:
    """The planted free text by field, as it was written to the exports."""
    return {"message": list(MESSAGES.values()), "segment": list(SEGMENTS.values()),
            "team": sorted(set(world.reps["team"])), "region": sorted(set(world.reps["region"])),
            "manager": sorted(set(world.reps["manager"])), "rep": list(world.reps["name"]),
            "note": [NOTE], "outcome": list(OUTCOMES.values()), "file": list(files), "uploader": [UPLOADER]}


def visible(value: str) -> str:
    """What a reader should see of a value: its text without control sequences, white space collapsed."""
    return " ".join(strip_controls(value).split())


# Markup a page could produce from a payload if it were not escaped (for asserting on markdown bodies).
UNESCAPED = re.compile(r"(?<!\\)\[(login|px)|\*\*bold\*\*|__pwn__|(?<!\\)<b>|(?<!\\)\$x|(?<!\\):red\[|:material/|\x1b")
