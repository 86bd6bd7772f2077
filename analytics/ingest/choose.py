"""Which column holds which field of one read file: a remembered mapping, the wrong-kind check, then inference from
the headers and a bounded sample of the rows, the catalog's message names and the roster's names and emails."""

from __future__ import annotations

from dataclasses import dataclass, replace

from . import mappings
from .errors import IngestError
from .fit import check_kind, kind_fit
from .infer import Inference, infer_columns, kind_fits, profile_columns
from .kinds import KINDS, Kind, kind_of_file
from .profile import SAMPLE_ROWS, Profile
from .reader import RawFile


@dataclass
class Chosen:
    """The kind a file is read as, the columns chosen for its fields, and the remembered mapping applied."""

    kind: Kind
    inference: Inference
    remembered: dict | None        # {"mapping_id", "columns", ...} when a stored mapping was used
    columns: dict[str, str]        # field -> header settled by hand (remembered, then --map on top)


def sample_profiles(con, raw: RawFile) -> tuple[list[Profile], list[str]]:
    """Column profiles on at most SAMPLE_ROWS evenly spread rows of raw_rows, and the catalog's message names."""
    cols = ", ".join(f"c{i}" for i in range(len(raw.headers)))
    rows = con.execute(f"SELECT {cols} FROM raw_rows WHERE rowid % $step = 0 LIMIT $n",
                       {"step": max(1, raw.n_rows // SAMPLE_ROWS), "n": SAMPLE_ROWS}).fetchall()
    names = [n for (n,) in con.execute("SELECT message_name FROM messages WHERE in_catalog").fetchall()]
    roster = con.execute("SELECT rep_name, rep_email FROM reps WHERE in_roster").fetchall()
    return profile_columns(raw.headers, rows, names, [r[0] for r in roster], [r[1] for r in roster]), names


def choose_columns(con, kind: str, raw: RawFile, column_map: dict[str, str]) -> Chosen:
    """Settle the kind and the columns of a file uploaded as `kind`; raises IngestError when they cannot be."""
    profiles, catalog_names = sample_profiles(con, raw)
    k = kind_of_file(kind, raw.headers, column_map)
    if k.upload_as and not column_map:
        fits = kind_fits(raw.headers, profiles)     # an `id` and a `user_name` alone do not make a users file
        if fits[k.name] < fits[kind]:
            k = KINDS[kind]
    stored = mappings.remembered(con, k.name, raw.headers)
    check = not column_map and not stored      # columns named by hand (now or before) say what the file is
    columns = {**(stored["columns"] if stored else {}), **column_map}
    try:
        inferred = infer_columns(k.name, raw.headers, profiles, columns, raw.file_name, catalog_names)
    except IngestError:
        if check:       # a file of another kind is refused as such, before its missing fields are listed
            check_kind(kind, raw.headers, raw.file_name)
        raise
    if check:
        # Kinds are told apart by what their headers name (by its values a quiz export's "Quiz" column also reads as
        # a feedback topic): the kind asked counts the columns its headers name that inference also read.
        named = kind_fit(raw.headers)[kind]
        read = {raw.headers[i] for i in inferred.mapping.values()}
        asked = replace(named, columns=tuple(h for h in named.columns if h in read), complete=True)
        check_kind(kind, raw.headers, raw.file_name, asked=asked)
    return Chosen(k, inferred, stored, columns)
