"""Header hints shared by every kind: a unit or phrase in a header that stands in for a field's name (`(1-5)`, `%`,
`Points Possible`), and the phrases that rule a field out. Each kind's own value types and labels sit on its kind
object (analytics/ingest/kinds)."""

from __future__ import annotations

# Header hints: (regex on the raw header, {field: header score}). A hint stands in for a synonym.
HINTS: list[tuple[str, dict[str, float]]] = [
    (r"\(\s*[01]\s*[-–]\s*(5|10)\s*\)|\b[01]\s*[-–]\s*(5|10)\b|\bstars?\b|sterne|[ée]toiles|estrellas|★",
     {"rating": 0.8}),
    (r"\b(score|rating|grade)\b", {"rating": 0.55, "score": 0.6}),
    (r"%|\bpercent|prozent|pourcentage|porcentaje", {"score": 0.75, "adoption_target": 0.6}),
    (r"\bpoints?\b|\bpts\b|punkte", {"score": 0.6}),
    (r"\bmax(imum)?\b|possible|out of|höchst|maximal|máxim", {"max_score": 0.8}),
    (r"e-?mail|courriel|correo", {"rep_email": 0.65}),
    (r"\b(pass(ed)?|fail(ed)?)\b", {"passed": 0.7}),
]
# A hint that forbids another: a "Points Possible" column is not the points scored.
HINT_VETO: list[tuple[str, tuple[str, ...]]] = [
    # ("Out of" alone is a maximum column; "Stars (out of 5)" states a rating's scale)
    (r"\bmax(imum)?\b|possible|^\s*out of\b|höchst|maximal|máxim", ("score", "rating")),
    (r"^points\s*-\s", ("score", "max_score")),        # Microsoft Forms: the points of one question
    (r"\b(ids?|no\.?)$|\bid\b", ("rep_name", "owner_name", "module", "topic", "score", "rating", "outcome", "notes",
                               "opportunity_name", "account_name", "segment", "deal_type", "lead_source", "product",
                               "message_tag", "team", "region", "manager")),
]
