"""``dosecal store regimens``: the clinic's own regimens, imported into the plan store.

Thin: :mod:`dosecal.service.regimens` reads a FHIR PlanDefinition (as ``dosecal fhir import``
does) or a TOML definition (as ``dosecal check`` does) and keeps each version; this module reads
the file, prints what was left out on standard error (as ``fhir import`` does) and records each
import in the audit trail.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from dosecal.cli.common import with_exit_codes
from dosecal.cli.database import record, store_of, who_of, who_option
from dosecal.errors import InputFileError, Problem, reason
from dosecal.inputs.files import read_capped
from dosecal.words import Value, msg, say


@click.group(
    "regimens",
    epilog="\b\nExamples:\n  dosecal store regimens import PlanDefinition-52451000210102.json\n"
    "  dosecal store regimens import in-parts.json --part 1\n  dosecal store regimens list",
)
def regimens() -> None:
    """The clinic's own regimens: imported into the plan store, offered beside the built-ins.

    A plan file names one by its id (schedule = "ID"), on the command line and on the clinic's
    pages; the plan keeps a snapshot of its definition, and 'dosecal store upgrade' applies a
    newer version of the regimen, as it applies a changed built-in.
    """


@regimens.command(
    "import",
    epilog="\b\nExamples:\n  dosecal store regimens import PlanDefinition-52451000210102.json\n"
    "  dosecal store regimens import in-parts.json --part 2\n  dosecal store regimens import my-regimen.toml",
)
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--part", "part", type=int, default=None, metavar="N", help="For a FHIR regimen in parts: import part N (1, 2...) as its own regimen.")  # fmt: skip
@who_option
@with_exit_codes
def import_(file: Path, part: int | None, who: str | None) -> None:
    """Import FILE, a FHIR PlanDefinition (JSON) or a definition (TOML), told apart by its content.

    A PlanDefinition is read as 'dosecal fhir import' reads it: what is left out is listed on
    standard error, and what the calendar needs but cannot be mapped refuses the import (exit
    1, nothing stored). The regimen's id is its definition's; importing the same id again
    stores a new version (the same text again stores nothing). An id of a built-in is refused.
    """
    from dosecal.service import regimens as local

    try:
        data = read_capped(file)
    except (OSError, ValueError) as exc:
        why: Value = exc.strerror if isinstance(exc, OSError) and exc.strerror else reason(exc)
        raise InputFileError(
            [Problem(str(file), "", msg("error.tomlfile.cannot_read_file_reason", reason=why))]
        ) from None
    prepared = local.read(data, str(file), part)
    for line in prepared.report:
        click.echo(f"dosecal: {line}", err=True)
    s = store_of()
    kept, new = s.regimens.add(prepared, who=who_of(who))
    if not new:
        click.echo(say("regimens.same", id=kept.id, version=kept.version))
        return
    record(s, "regimen-import", who=who, subject=kept.id)
    click.echo(say("regimens.imported", id=kept.id, version=kept.version, title=kept.title))


@regimens.command("list", epilog="\b\nExample:\n  dosecal store regimens list")
@with_exit_codes
def list_() -> None:
    """List the local regimens: id, current version, when and by whom it was imported, title."""
    for r in store_of().regimens.current():
        click.echo(f"{r.id}  v{r.version:<3} {r.at:%Y-%m-%d %H:%M} UTC  {r.who}  {r.title}")


@regimens.command("show", epilog="\b\nExamples:\n  dosecal store regimens show my-regimen\n  dosecal store regimens show my-regimen --definition > my-regimen.toml")  # fmt: skip
@click.argument("regimen")
@click.option("--definition", is_flag=True, help="Write the current version's definition (TOML) instead.")
@with_exit_codes
def show(regimen: str, definition: bool) -> None:
    """Show a local regimen: its versions, what each came from, who imported it, what was left out."""
    s = store_of()
    current = s.regimens.get(regimen)
    if definition:
        sys.stdout.write(current.definition)
        sys.stdout.flush()
        return
    click.echo(say("regimens.show.head", id=current.id, version=current.version, title=current.title))
    click.echo(say("regimens.show.source", source=current.source))
    for v in reversed(s.regimens.versions(regimen)):
        if v.kind == "toml":
            what = say("regimens.show.toml", file=v.file)
        elif v.part is None:
            what = say("regimens.show.fhir", file=v.file, canonical=v.canonical or "-")
        else:
            what = say("regimens.show.fhir_part", file=v.file, canonical=v.canonical or "-", part=v.part)
        at = v.at.strftime("%Y-%m-%d %H:%M UTC")
        click.echo(say("regimens.show.version", version=v.version, at=at, who=v.who, what=what))
        for line in v.report:
            click.echo(say("regimens.show.left_out", line=line))
