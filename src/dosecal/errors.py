"""One error hierarchy: every mistake a user can make is a DosecalError, mapped to exit 1 in cli."""

from __future__ import annotations

from dataclasses import dataclass

from dosecal.words import ENGLISH, Msg, Value


@dataclass(frozen=True, slots=True)
class Problem:
    """One thing wrong with an input file, located as precisely as the input allows.

    Attributes:
        file: the path as the user gave it, or a label such as ``<built-in dasatinib>``.
        key: the key path inside the file (``phases[2].doses[1].days``), or ``""``.
        message: what is wrong, in words a pharmacist can act on.
        line: the 1-based line number, when it could be found.
    """

    file: str
    key: str
    message: Value
    line: int | None = None

    def __str__(self) -> str:
        where = self.file if self.line is None else f"{self.file}:{self.line}"
        text = ENGLISH.text(self.message)
        return f"{where}: {self.key}: {text}" if self.key else f"{where}: {text}"


class DosecalError(Exception):
    """Base of every error caused by user input; should not be raised directly.

    The command line turns any of these into its message and exit status ``exit_code``
    without a traceback, because the user can fix the input and try again.
    """

    exit_code = 1


class InputFileError(DosecalError):
    """A definition or plan file has one or more problems; all of them are reported at once."""

    def __init__(self, problems: list[Problem] | tuple[Problem, ...]) -> None:
        self.problems: tuple[Problem, ...] = tuple(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


class DefinitionError(InputFileError):
    """A schedule definition is malformed or clinically inconsistent (day 30 in a 28-day cycle)."""


class PlanError(InputFileError):
    """A plan (file or options) cannot be applied to its schedule."""


class FhirError(InputFileError):
    """A FHIR resource given to ``dosecal fhir`` cannot be read, or cannot become a safe schedule.

    Each problem names the file, the JSON path (``action[0].action[1].extension[2]``) and what
    is wrong.
    """


class UnknownScheduleError(DosecalError):
    """The schedule named is neither a built-in id nor a readable file."""


class OutputError(DosecalError):
    """An output could not be written; nothing half-written is left behind."""


class MissingFeatureError(DosecalError):
    """A format needs an optional dependency that is not installed; the message says how to add it."""


def reason(exc: BaseException) -> Value:
    """What an exception says, kept as a message where it is one (to render in any language)."""
    return exc.args[0] if exc.args and isinstance(exc.args[0], str | Msg) else str(exc)


class StoreError(DosecalError):
    """The plan store cannot do what was asked: no such plan, or a database it cannot use."""


class ConflictError(StoreError):
    """A stored plan changed since it was read: nothing was written, the command can be run again."""


class SchemaError(StoreError):
    """The database's tables are not those this dosecal expects: ``dosecal db upgrade`` fixes it."""


class ForeignDatabaseError(StoreError):
    """The file given as the plan store is not a dosecal database (damaged, or another program's).

    Refused before anything is written to it or any pragma is set, so that it is left byte for
    byte as it was.
    """


class DatabaseBusy(StoreError):
    """Another program holds the database's write lock for longer than a write waits: nothing was written.

    Raised by any statement on an engine from :func:`dosecal.service.database.make_engine`; the
    command line says so in one line, and the web pages can answer 503 with Retry-After.
    """


class DatabaseUnavailable(StoreError):
    """The database cannot be reached or cannot store anything now (server down, disk full, I/O error).

    Raised like :class:`DatabaseBusy`; a request that meets it may be tried again later.
    """
