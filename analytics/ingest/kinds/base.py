"""What an upload kind is: its fields and their spellings, what it requires, how it stages, where it is stored."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property

from ..formats import formats_of
from ..staging import Context


@dataclass(frozen=True)
class Fact:
    """A kind kept as a current table whose rows resolve to reps and messages (the identity fields, as SQL)."""

    table: str          # current table, rebuilt by sql/build/<table>.sql
    email: str
    name: str
    crm: str            # 'NULL' when the kind carries no CRM user id
    message: str
    seen_date: str
    derived: tuple[str, ...] = ()   # tables rebuilt beside `table` for the same records (sql/build/<name>.sql)
    # (upload kind, condition): after an upload of that kind, rows meeting the condition are resolved again
    follows: tuple[tuple[str, str], ...] = ()


class Kind:
    """One upload kind; subclasses set the attributes and implement `stage`."""

    name: str = ""
    label: str = ""
    noun: str = ""                                 # the file in a sentence: "this looks like a feedback log"
    # field -> accepted normalized header spellings, in field order; first match wins. Formats add theirs after.
    synonyms: Mapping[str, tuple[str, ...]] = {}
    # field -> what its values look like (email, person, message, date, money, score, rating, bool, stage, ...),
    # read by column inference; every field of the kind has one
    value_types: Mapping[str, str] = {}
    labels: Mapping[str, tuple[str, ...]] = {}     # field -> header labels as tools print them (compared folded)
    required: tuple[tuple[str, ...], ...] = ()     # each group: one of these fields must be mapped
    date_fields: tuple[str, ...] = ()              # fields whose date format a person may choose
    versions: str = ""                             # the table holding every version of every record
    key: str = ""                                  # its record key column
    columns: tuple[str, ...] = ()                  # the staged columns written to `versions`
    fact: Fact | None = None                       # None: a reference kind (catalog, roster, CRM users)
    load_order: int = 9                            # a batch loads the catalog and roster before what refers to them
    stale_after_days: int | None = None            # the latest upload of this kind is stale after this many days
    upload_as: str | None = None                   # a kind uploaded under another kind's name (CRM users)

    def stage(self, ctx: Context) -> str:
        """Fill ctx.select and ctx's checks for this kind; returns the SQL of the record key."""
        raise NotImplementedError

    def after_load(self, con, upload_id: int | None) -> None:
        """Work that follows an upload of this kind inside its transaction, once the current tables are rebuilt
        (upload_id None: after an undo of one). Nothing by default."""

    def recognizes(self, headers: list[str]) -> bool:
        """For a kind uploaded as another (`upload_as`): whether these headers are this kind's."""
        return False

    @cached_property
    def spellings(self) -> dict[str, list[str]]:
        """field -> every accepted spelling: the kind's own first, then each format's in registry order."""
        merged = {f: list(names) for f, names in self.synonyms.items()}
        for fmt in formats_of(self.name):
            for f, names in fmt.synonyms.items():
                merged[f].extend(n for n in names if n not in merged[f])
        return merged

    @cached_property
    def formats(self) -> list:
        """The formats of this kind, in detection order."""
        return formats_of(self.name)

    def __repr__(self) -> str:
        return f"<Kind {self.name}>"
