"""Typed, located reading of TOML files, shared by schedule definitions and plan files.

tomllib gives plain dicts and no positions, yet a pharmacist fixing a definition needs the
line. :class:`Table` records the key path of every value it hands out, collects every
problem instead of stopping at the first, and :func:`find_line` maps a key path back to the
line that holds it.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, time
from pathlib import Path
from typing import Any, TypeVar

from dosecal.errors import InputFileError, Problem, reason
from dosecal.inputs.files import read_capped
from dosecal.model.limits import check_date
from dosecal.words import Value, msg

T = TypeVar("T")

#: A key path: table keys, and 1-based positions inside arrays of tables.
KeyPath = tuple[str | int, ...]

_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\[\]]+?)\s*\]\]?\s*(?:#.*)?$")
_KEY = re.compile(r'^\s*("?)([A-Za-z0-9_\-]+)\1\s*=')
_TOML_POSITION = re.compile(r"\(at line (\d+), column \d+\)")
_TIME = re.compile(r"^(\d{2}):(\d{2})$")


def format_path(path: KeyPath) -> str:
    """Write a key path the way messages show it: ``phases[2].doses[1].days``."""
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + part
    return out


def _header_name(raw: str) -> tuple[str, ...]:
    return tuple(seg.strip().strip('"') for seg in raw.split("."))


def find_line(text: str, path: KeyPath) -> int | None:
    """Find the line of ``text`` that best matches ``path`` (1-based), or ``None``.

    Walks the table headers, counting ``[[array]]`` elements per parent the way TOML does, and
    returns the line of the deepest key found: the key's own line when the key is written in
    its table, else the table's header. Keys inside inline tables resolve to the line of the
    key that holds the inline table, which is where a reader would look.
    """
    lines = text.splitlines()
    counters: dict[tuple[str, ...], int] = {}
    sections: list[tuple[int, KeyPath]] = [(0, ())]  # (0-based header line, address)
    for i, line in enumerate(lines):
        m = _HEADER.match(line)
        if not m:
            continue
        name = _header_name(m.group(2))
        address: list[str | int] = []
        for depth in range(1, len(name) + 1):
            prefix = name[:depth]
            address.append(prefix[-1])
            if depth == len(name):
                if m.group(1) == "[[":
                    counters[prefix] = counters.get(prefix, 0) + 1
                    for key in list(counters):
                        if len(key) > len(prefix) and key[: len(prefix)] == prefix:
                            del counters[key]
                    address.append(counters[prefix])
            elif prefix in counters:
                address.append(counters[prefix])
        sections.append((i, tuple(address)))

    best: int | None = None
    best_len = -1
    for index, (start, addr) in enumerate(sections):
        if path[: len(addr)] != addr or len(addr) <= best_len:
            continue
        end = sections[index + 1][0] if index + 1 < len(sections) else len(lines)
        found = start + 1 if addr else None
        rest = path[len(addr) :]
        if rest and isinstance(rest[0], str):
            first = start + 1 if addr else 0
            for j in range(first, end):
                km = _KEY.match(lines[j])
                if km and km.group(2) == rest[0] and not _HEADER.match(lines[j]):
                    found = j + 1
                    break
        if found is not None:
            best, best_len = found, len(addr)
    return best


def read_text(path: Path) -> str:
    """A UTF-8 file's text; only a regular file, and at most :data:`~dosecal.inputs.files.MAX_FILE_BYTES`.

    Raises:
        InputFileError: naming the file and why it cannot be read; callers re-raise it as
            their own kind (definition or plan).
    """
    try:
        return read_capped(path).decode("utf-8")
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        why: Value = exc.strerror if isinstance(exc, OSError) and exc.strerror else reason(exc)
        raise InputFileError(
            [Problem(str(path), "", msg("error.tomlfile.cannot_read_file_reason", reason=why))]
        ) from None


@dataclass
class TomlFile:
    """One TOML file being read: its label, text and the problems found so far."""

    file: str
    text: str
    problems: list[Problem] = field(default_factory=list)

    def error(self, path: KeyPath, message: Value) -> None:
        """Record a problem at ``path``; reading goes on so that all problems are reported."""
        self.problems.append(Problem(self.file, format_path(path), message, find_line(self.text, path)))

    def parse(self) -> Table | None:
        """Parse the text; a syntax error is recorded with the line TOML reports."""
        try:
            data = parse_toml(self.text)
        except tomllib.TOMLDecodeError as exc:
            text = str(exc)
            m = _TOML_POSITION.search(text)
            line = int(m.group(1)) if m else None
            text = _TOML_POSITION.sub("", text).strip()
            self.problems.append(Problem(self.file, "", msg("error.tomlfile.valid_toml_msg", msg=text), line))
            return None
        return Table(self, data, ())


def parse_toml(text: str) -> dict[str, Any]:
    """Parse TOML text; arrays or tables nested too deep for the parser are a syntax error.

    tomllib recurses once per level, so ``[[[[...`` a few thousand deep raises RecursionError
    instead of TOMLDecodeError, and an integer of over 4,300 digits a plain ValueError; this
    is the one place every TOML input is parsed.

    Raises:
        tomllib.TOMLDecodeError: the text is not TOML, or is nested too deeply.
    """
    try:
        return tomllib.loads(text)
    except RecursionError:
        raise tomllib.TOMLDecodeError(str(msg("error.tomlfile.nested_too_deep"))) from None
    except tomllib.TOMLDecodeError:
        raise
    except ValueError:  # an integer of thousands of digits: Python refuses to convert it
        raise tomllib.TOMLDecodeError(str(msg("error.tomlfile.number_too_long"))) from None


def read_toml(
    file: str, text: str, read: Callable[[TomlFile, Table], T | None], error: type[InputFileError]
) -> T:
    """Parse ``text`` and build a value from it with ``read``; ``file`` labels the messages.

    Definitions and plan files share this rule: read on past a problem so that all of them
    are reported, then raise if there was any, so a half-valid file is never used.

    Raises:
        InputFileError: of kind ``error``, with every problem found.
    """
    source = TomlFile(file, text)
    root = source.parse()
    value = read(source, root) if root is not None else None
    if source.problems or value is None:
        raise error(source.problems)
    return value


def load_toml(path: Path, loads: Callable[[str, str], T], error: type[InputFileError]) -> T:
    """Read the file at ``path`` and hand its text to ``loads``.

    Raises:
        InputFileError: of kind ``error``, when the file cannot be read or ``loads`` fails.
    """
    try:
        text = read_text(path)
    except InputFileError as exc:
        raise error(exc.problems) from None
    return loads(text, str(path))


_MISSING = object()


class Table:
    """A TOML table being read; every key taken is checked, and untaken keys are reported."""

    def __init__(self, source: TomlFile, data: dict[str, Any], path: KeyPath) -> None:
        self.source = source
        self.data = data
        self.path = path
        self._taken: set[str] = set()

    def error(self, key: str | int | KeyPath | None, message: Value) -> None:
        """Record a problem at this table's ``key``, a path below it, or the table itself."""
        below: KeyPath = () if key is None else key if isinstance(key, tuple) else (key,)
        self.source.error((*self.path, *below), message)

    def skip_rest(self) -> None:
        """Take every key unread: the table is already known to be wrong, so say it once."""
        self._taken.update(self.data)

    def has(self, key: str) -> bool:
        """Whether the key is present."""
        return key in self.data

    def _raw(self, key: str, required: bool) -> Any:
        self._taken.add(key)
        if key not in self.data:
            if required:
                self.error(None, msg("error.tomlfile.missing_required_key_key", key=key))
            return _MISSING
        return self.data[key]

    def _typed(self, key: str, kind: type, label: str, required: bool, default: Any) -> Any:
        value = self._raw(key, required)
        if value is _MISSING:
            return default
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            self.error(key, msg("error.tomlfile.must_label_describe", label=label, describe=describe(value)))
            return default
        return value

    def get_str(self, key: str, *, required: bool = True, default: str | None = None) -> str | None:
        """A non-empty string."""
        value = self._typed(key, str, "a string", required, default)
        if isinstance(value, str) and not value.strip() and value is not default:
            self.error(key, msg("error.tomlfile.must_empty"))
            return default
        return value  # type: ignore[no-any-return]

    def get_int(
        self,
        key: str,
        *,
        maximum: int,
        required: bool = True,
        default: int | None = None,
        minimum: int = 0,
    ) -> int | None:
        """An integer from ``minimum`` to ``maximum`` (every number read has a bound: see limits)."""
        value = self._typed(key, int, "a whole number", required, default)
        if isinstance(value, int) and value is not default and value < minimum:
            self.error(key, msg("error.tomlfile.must_at_least_minimum", minimum=minimum, value=value))
            return default
        if isinstance(value, int) and value is not default and value > maximum:
            self.error(key, msg("error.limits.number_too_large", value=value, maximum=maximum))
            return default
        return value  # type: ignore[no-any-return]

    def get_bool(self, key: str, *, default: bool = False) -> bool:
        """A true/false value."""
        return bool(self._typed(key, bool, "true or false", False, default))

    def get_date(self, key: str, *, required: bool = True) -> date | None:
        """A TOML date (``2027-01-04``, unquoted), or the same written as a string."""
        value = self._raw(key, required)
        if value is _MISSING:
            return None
        found: date | None = None
        if isinstance(value, date) and not hasattr(value, "hour"):
            found = value
        elif isinstance(value, str):
            with contextlib.suppress(ValueError):
                found = date.fromisoformat(value)
        if found is not None:
            try:
                return check_date(found)
            except ValueError as exc:
                self.error(key, reason(exc))
                return None
        self.error(key, msg("error.tomlfile.must_date_written_yyyy", describe=describe(value)))
        return None

    def str_list(self, key: str, *, required: bool = False) -> list[str]:
        """A string, or an array of strings (a single string is a list of one)."""
        value = self._raw(key, required)
        if value is _MISSING:
            return []
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
            self.error(key, msg("error.tomlfile.must_string_or_array", describe=describe(value)))
            return []
        return list(value)

    def table(self, key: str, *, required: bool = False) -> Table | None:
        """A sub-table."""
        value = self._raw(key, required)
        if value is _MISSING:
            return None
        if not isinstance(value, dict):
            self.error(key, msg("error.tomlfile.must_table_describe", describe=describe(value)))
            return None
        return Table(self.source, value, (*self.path, key))

    def tables(self, key: str) -> Iterator[Table]:
        """The elements of an array of tables (``[[phases]]``), positions counted from 1."""
        value = self._raw(key, False)
        if value is _MISSING:
            return
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            self.error(key, msg("error.tomlfile.must_array_tables_key", key=key, describe=describe(value)))
            return
        for i, item in enumerate(value, start=1):
            yield Table(self.source, item, (*self.path, key, i))

    def items(self) -> Iterator[tuple[str, Table]]:
        """Every sub-table of this table, by key (``[agents.dasatinib]``)."""
        for key in self.data:
            sub = self.table(key)
            if sub is not None:
                yield key, sub

    def raw(self, key: str) -> Any:
        """The value as TOML gave it, or ``None``; the caller checks its type."""
        value = self._raw(key, False)
        return None if value is _MISSING else value

    def convert(self, key: str, parse: Callable[[Any], T], *, required: bool = True) -> T | None:
        """A value checked by ``parse``, which raises ValueError with the reason."""
        value = self._raw(key, required)
        if value is _MISSING:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.error(key, str(exc))
            return None

    def done(self) -> None:
        """Report every key that was never taken: in a medical file a typo must not pass."""
        for key in self.data:
            if key not in self._taken:
                self.error(key, msg("error.tomlfile.unknown_key"))


def describe(value: object) -> str:
    """Name a TOML value's type for a message ("a string '10'", "an array")."""
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, str):
        return f"the string {value!r}"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, date):
        return f"the date {value}"
    return type(value).__name__


def parse_time(value: object) -> time:
    """Parse a clock time written ``HH:MM`` (24-hour)."""
    if isinstance(value, time):
        return value.replace(second=0, microsecond=0)
    if not isinstance(value, str):
        raise ValueError(msg("error.tomlfile.must_time_written_hh", describe=describe(value)))
    m = _TIME.match(value.strip())
    if not m:
        raise ValueError(msg("error.tomlfile.must_time_written_hh2", value=repr(value)))
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour > 23 or minute > 59:
        raise ValueError(msg("error.tomlfile.value_time_day", value=repr(value)))
    return time(hour, minute)
