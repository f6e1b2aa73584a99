"""Messages of ``dosecal fhir`` awaiting the catalogue: English only, through :func:`pending`.

TEMPORARY, clearly marked: these messages are listed with their ids in
/work/notes/fhirin_messages.json and move into :mod:`dosecal.words.catalogue` (with their
French) when the FHIR regimen branch is merged. Until then every sentence the FHIR import and
export show a user passes through this one function, so that moving them is one search.
"""

from __future__ import annotations

#: Each pending message by id: its English template (fields in braces, as in the catalogue).
PENDING: dict[str, str] = {}


def pending(key: str, english: str, **fields: object) -> str:
    """The English of message ``key`` with its ``fields`` filled in (not yet translatable).

    The id is kept next to its English so that the merge can move both into the catalogue.
    """
    PENDING.setdefault(key, english)
    return english.format(**fields)
