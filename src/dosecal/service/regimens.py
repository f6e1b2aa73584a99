"""Local regimens: definitions a clinic imported into the plan store, offered beside the built-ins.

An administrator imports a national FHIR regimen (``dosecal fhir import``'s reading, with its
``part``) or a TOML definition (``dosecal check``'s reading), on the command line (``dosecal
store regimens import``) or on the pages (/admin/regimens). The definition text is kept in the
``regimens`` table, one row per version: importing the same ``[schedule] id`` again adds a
version, and the newest is the regimen's current one. Each version keeps who imported it and
when, what it came from (the file's name; for a PlanDefinition its canonical ``url|version`` and
the part) and the import's report (what was left out of the calendar, one line each, as
``dosecal fhir import`` prints them).

A plan made of a local regimen stores its snapshot as every plan does, with the origin
``regimen:ID`` (:func:`origin_of`): :func:`dosecal.service.store.definition_at` finds the
regimen's current version through the database, so that a new version is offered on every plan
made of it (the plan page's upgrade card, ``store upgrade``), as a changed built-in is. Everything
lives in the database: every server of the clinic sees an import at once.

A local regimen never shadows a built-in: an id the built-ins have is refused. Its version goes
out again as a PlanDefinition of the national profile (:meth:`Regimen.plandefinition`), the bytes
``dosecal fhir export`` writes for the same definition text, with what the profile cannot carry.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from dosecal.errors import (
    ConflictError,
    DefinitionError,
    FhirError,
    InputFileError,
    Problem,
    StoreError,
    UnknownScheduleError,
)
from dosecal.inputs import definitions
from dosecal.inputs import fhir as reading
from dosecal.model.schedule import Schedule
from dosecal.render.plandefinition import Exported, to_plandefinition
from dosecal.service.database import aware
from dosecal.words import msg

_meta = sa.MetaData()

#: Migration 0010: one row per version of a local regimen.
regimens = sa.Table(
    "regimens",
    _meta,
    sa.Column("id", sa.String(64), primary_key=True),
    sa.Column("version", sa.Integer, primary_key=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("definition", sa.Text, nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("file", sa.Text, nullable=False),
    sa.Column("canonical", sa.Text, nullable=True),
    sa.Column("part", sa.Integer, nullable=True),
    sa.Column("report", sa.Text, nullable=False),
    sa.Column("who", sa.String(64), nullable=False),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)

#: How a plan's origin names a local regimen: ``regimen:ID``.
ORIGIN = "regimen:"
#: The longest id a local regimen may have (an audit entry's subject holds 64 characters).
MOST_ID = 64
#: What a regimen came from.
FHIR, TOML = "fhir", "toml"


def origin_of(ident: str) -> str:
    """The origin of a plan made of the local regimen ``ident``."""
    return ORIGIN + ident


def regimen_of(origin: str) -> str | None:
    """The local regimen a plan's origin names, or ``None`` (a built-in id, a file's path)."""
    return origin.removeprefix(ORIGIN) if origin.startswith(ORIGIN) else None


def may_name(name: str) -> bool:
    """Whether a plan file's ``schedule`` may name a local regimen: an id, not a path or a built-in."""
    return definitions.is_id(name) and name not in definitions.builtin_ids()


def is_fhir(data: bytes) -> bool:
    """Whether a file is a FHIR resource (JSON: its first character is ``{``), not a TOML definition."""
    return data.removeprefix(b"\xef\xbb\xbf").lstrip()[:1] == b"{"


@dataclass(frozen=True, slots=True)
class Prepared:
    """A definition read for import and checked, not stored yet: what an import shows before it is confirmed.

    Attributes:
        id: the definition's ``[schedule] id``: the regimen it is a version of.
        title: its ``[schedule] title``.
        source: the title of the first source it cites (for a PlanDefinition: the regimen's,
            with its version and publisher).
        definition: the definition's TOML text, as stored.
        kind: :data:`FHIR` or :data:`TOML`.
        file: the file's name as given.
        canonical: for a PlanDefinition, its ``url|version`` (``[schedule] canonical``).
        part: for a regimen in parts, the part imported.
        report: what was left out of the calendar, one line each (file, JSON path, why).
    """

    id: str
    title: str
    source: str
    definition: str
    kind: str
    file: str
    canonical: str | None = None
    part: int | None = None
    report: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Regimen:
    """One stored version of a local regimen (:class:`Prepared`'s facts, and who imported it when)."""

    id: str
    version: int
    title: str
    source: str
    definition: str
    kind: str
    file: str
    canonical: str | None
    part: int | None
    report: tuple[str, ...]
    who: str
    at: datetime

    @property
    def origin(self) -> str:
        """The origin of a plan made of it: ``regimen:ID``."""
        return origin_of(self.id)

    @property
    def name(self) -> str:
        """How messages name this version: ``regimen:ID version N``."""
        return f"{self.origin} version {self.version}"

    def schedule(self) -> Schedule:
        """The schedule it defines (read once per text)."""
        return _schedule(self.definition, self.name)

    def plandefinition(self) -> Exported:
        """It as ``dosecal fhir export`` writes its definition: the bytes, and what they do not carry.

        Made once per text (the output is deterministic: the same definition, the same bytes).

        Raises:
            DefinitionError: when this dosecal no longer reads the stored definition.
        """
        return _plandefinition(self.definition, self.name)


@functools.lru_cache(maxsize=64)
def _schedule(text: str, name: str) -> Schedule:
    return definitions.loads(text, name)


@functools.lru_cache(maxsize=64)
def _plandefinition(text: str, name: str) -> Exported:
    return to_plandefinition(_schedule(text, name))


def _row(row: sa.Row[Any]) -> Regimen:
    return Regimen(
        id=row.id,
        version=row.version,
        title=row.title,
        source=row.source,
        definition=row.definition,
        kind=row.kind,
        file=row.file,
        canonical=row.canonical,
        part=row.part,
        report=tuple(str(line) for line in json.loads(row.report)),
        who=row.who,
        at=aware(row.at),
    )


def parts(data: bytes, file: str) -> tuple[tuple[int, str], ...]:
    """The parts of a FHIR regimen in parts (number and name), as :func:`read` takes ``part``; none otherwise.

    Raises:
        FhirError: a FHIR file that is not JSON or not a PlanDefinition, or whose actions mix
            parts and cycles.
    """
    if not is_fhir(data):
        return ()
    return tuple((p.number, p.name) for p in reading.parts(data, file))


def read(data: bytes, file: str, part: int | None = None) -> Prepared:
    """Read a file for import: a FHIR PlanDefinition (with ``part``) or a TOML definition, by its content.

    The checks of ``dosecal fhir import`` and ``dosecal check``, then the local regimens' own: an
    id that is not a built-in's and not longer than :data:`MOST_ID`.

    Raises:
        FhirError: as ``dosecal fhir import`` refuses the PlanDefinition (its problems name the
            file and the JSON path), or when its id is refused.
        DefinitionError: as ``dosecal check`` refuses the definition (file, key, line), or when
            its id is refused; when ``part`` is given for a TOML definition.
    """
    error: type[InputFileError]
    if is_fhir(data):
        imported = reading.loads(data, file, part=part)
        text, kind, error = imported.toml, FHIR, FhirError
        report = tuple(str(p) for p in imported.left_out)
    else:
        if part is not None:
            raise DefinitionError([Problem(file, "", msg("error.regimens.part_toml", n=part))])
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError as exc:
            why = msg("error.tomlfile.cannot_read_file_reason", reason=str(exc))
            raise DefinitionError([Problem(file, "", why)]) from None
        kind, error, report = TOML, DefinitionError, ()
    schedule = definitions.loads(text, file)
    _check_id(schedule.id, file, "title" if kind == FHIR else "schedule.id", error)
    first = next(iter(schedule.sources.values()), None)
    return Prepared(
        id=schedule.id,
        title=schedule.title,
        source=first.title if first is not None else "",
        definition=text,
        kind=kind,
        file=file,
        canonical=schedule.canonical if kind == FHIR else None,
        part=part if kind == FHIR else None,
        report=report,
    )


def _check_id(ident: str, file: str, key: str, error: type[InputFileError]) -> None:
    if ident in definitions.builtin_ids():
        raise error([Problem(file, key, msg("error.regimens.builtin", id=ident))])
    if len(ident) > MOST_ID:
        raise error([Problem(file, key, msg("error.regimens.id_long", id=ident, most=MOST_ID))])


class Regimens:
    """The local regimens of one plan store's database."""

    def __init__(self, engine: sa.engine.Engine) -> None:
        self.engine = engine

    def add(self, prepared: Prepared, *, who: str, expect_version: int | None = None) -> tuple[Regimen, bool]:
        """Store ``prepared`` as the newest version of its regimen; it and whether it is new.

        The definition is read again (what was shown may have come back through a form), with
        the same checks as :func:`read`. The same text as the current version's adds nothing:
        the current version is returned, with ``False``. Two imports of one id at once each get
        their own version number (the table's key decides).

        Args:
            prepared: what :func:`read` made of the file.
            who: who imports it.
            expect_version: the current version when the import was previewed (0: none yet);
                by default whatever it is now.

        Raises:
            DefinitionError: the definition has problems, its id is refused or is not ``prepared.id``.
            ConflictError: the regimen is no longer at ``expect_version`` (nothing is stored).
        """
        schedule = definitions.loads(prepared.definition, prepared.file)
        key = "title" if prepared.kind == FHIR else "schedule.id"
        _check_id(schedule.id, prepared.file, key, DefinitionError)
        if schedule.id != prepared.id:
            raise DefinitionError([Problem(prepared.file, key, msg("error.regimens.not_id", id=prepared.id))])
        for attempt in (1, 2, 3):
            try:
                with self.engine.begin() as c:
                    current = self._current(c, prepared.id)
                    if current is not None and current.definition == prepared.definition:
                        return current, False
                    actual = 0 if current is None else current.version
                    if expect_version is not None and actual != expect_version:
                        raise ConflictError(
                            msg(
                                "error.regimens.changed",
                                id=prepared.id,
                                expected=expect_version,
                                actual=actual,
                            )
                        )
                    version = 1 if current is None else current.version + 1
                    c.execute(
                        regimens.insert().values(
                            id=prepared.id,
                            version=version,
                            title=prepared.title,
                            source=prepared.source,
                            definition=prepared.definition,
                            kind=prepared.kind,
                            file=prepared.file,
                            canonical=prepared.canonical,
                            part=prepared.part,
                            report=json.dumps(list(prepared.report)),
                            who=who[:64],
                            at=datetime.now(UTC),
                        )
                    )
                break
            except sa.exc.IntegrityError:  # another import took this version number meanwhile
                if attempt == 3:
                    raise
        return self.get(prepared.id, version), True

    @staticmethod
    def _current(c: sa.Connection, ident: str) -> Regimen | None:
        row = c.execute(
            sa.select(regimens).where(regimens.c.id == ident).order_by(regimens.c.version.desc()).limit(1)
        ).first()
        return None if row is None else _row(row)

    def find(self, ident: str) -> Regimen | None:
        """The current version of the regimen ``ident``, or ``None``."""
        with self.engine.connect() as c:
            return self._current(c, ident)

    def get(self, ident: str, version: int | None = None) -> Regimen:
        """The regimen ``ident`` at ``version`` (by default its current one).

        Raises:
            StoreError: when there is no such regimen, or no such version of it.
        """
        with self.engine.connect() as c:
            if version is None:
                found = self._current(c, ident)
            else:
                row = c.execute(
                    sa.select(regimens).where(regimens.c.id == ident, regimens.c.version == version)
                ).first()
                found = None if row is None else _row(row)
        if found is None:
            if version is not None and self.find(ident) is not None:
                raise StoreError(msg("error.regimens.no_version", id=ident, version=version))
            raise StoreError(msg("error.regimens.unknown", id=ident))
        return found

    def current(self) -> list[Regimen]:
        """Every regimen's current version, by title."""
        newest = (
            sa.select(regimens.c.id, sa.func.max(regimens.c.version).label("version"))
            .group_by(regimens.c.id)
            .subquery()
        )
        with self.engine.connect() as c:
            rows = c.execute(
                sa.select(regimens).join(
                    newest, sa.and_(regimens.c.id == newest.c.id, regimens.c.version == newest.c.version)
                )
            ).all()
        return sorted((_row(r) for r in rows), key=lambda r: (r.title.casefold(), r.id))

    def versions(self, ident: str | None = None) -> list[Regimen]:
        """Every version of ``ident`` (or of every regimen), by id, oldest version first."""
        select = sa.select(regimens).order_by(regimens.c.id, regimens.c.version)
        if ident is not None:
            select = select.where(regimens.c.id == ident)
        with self.engine.connect() as c:
            return [_row(r) for r in c.execute(select).all()]

    def titles(self, ids: Sequence[str] | None = None) -> dict[str, str]:
        """Each regimen's current title, by id (only ``ids``, if given)."""
        return {r.id: r.title for r in self.current() if ids is None or r.id in ids}


def definition_of(engine: sa.engine.Engine, origin: str) -> tuple[str, str]:
    """The definition a plan whose origin is ``regimen:ID`` finds now: its name for messages, its text.

    Raises:
        UnknownScheduleError: when the regimen is not in this database.
    """
    ident = regimen_of(origin)
    found = Regimens(engine).find(ident) if ident else None
    if found is None:
        raise UnknownScheduleError(msg("error.regimens.unknown", id=ident or origin))
    return found.name, found.definition
