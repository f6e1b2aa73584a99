"""``dosecal fhir import`` and ``export``: regimens in and out as FHIR R4 PlanDefinitions.

Thin: :mod:`dosecal.inputs.fhir` reads a PlanDefinition into a definition's text and
:mod:`dosecal.render.plandefinition` writes one; this module reads and writes the files and
prints, on stderr, what was left out, so that nothing is dropped in silence.
"""

from __future__ import annotations

from pathlib import Path

import click

from dosecal.cli.common import with_exit_codes
from dosecal.cli.files import write_atomic
from dosecal.errors import FhirError, Problem
from dosecal.inputs import definitions
from dosecal.inputs.files import read_capped
from dosecal.words import say


@click.group(epilog="\b\nExamples:\n  dosecal fhir export inotuzumab -o inotuzumab.json\n  dosecal fhir import inotuzumab.json -o inotuzumab.toml")  # fmt: skip
def fhir() -> None:
    """Regimens in and out as FHIR R4 PlanDefinitions (NZ Cancer Control Agency profile)."""


@fhir.command("import", epilog="\b\nExamples:\n  dosecal fhir import regimen.json -o regimen.toml\n  dosecal fhir import regimen-in-parts.json --part 1 -o part1.toml\n  dosecal generate regimen.toml --start 2027-01-04 -o regimen.ics")  # fmt: skip
@click.argument("plandefinition", type=click.Path(path_type=Path))
@click.option("-o", "output", type=click.Path(path_type=Path), required=True, help="The definition to write (.toml), or - for standard output.")  # fmt: skip
@click.option("--part", "part", type=int, default=None, metavar="N", help="For a regimen in parts (chemoradiation, then chemotherapy): import part N (1, 2...) as its own definition.")  # fmt: skip
@with_exit_codes
def import_(plandefinition: Path, output: Path, part: int | None) -> None:
    """Turn a PLANDEFINITION (JSON) into a dosecal definition citing it.

    What cannot be mapped is listed on standard error: a medicine taken only when needed is
    left out with a note in the definition; anything else the calendar needs (a dose by AUC,
    radiotherapy, a frequency or part not understood) makes the import refuse (exit 1).

    A regimen in parts (its actions point at PlanDefinitions it contains) is imported one part
    at a time with --part N; without it, the command lists the parts (exit 1).
    """
    from dosecal.inputs import fhir as reading

    try:
        data = read_capped(plandefinition)
    except (OSError, ValueError) as exc:
        raise FhirError([Problem(str(plandefinition), "", str(exc.args[-1] if exc.args else exc))]) from None
    result = reading.loads(data, str(plandefinition), part=part)
    for problem in result.left_out:
        click.echo(f"dosecal: {problem}", err=True)
    if str(output) == "-":
        click.echo(result.toml, nl=False)
    else:
        write_atomic(output, result.toml.encode("utf-8"))


@fhir.command("export", epilog="\b\nExample:\n  dosecal fhir export inotuzumab -o inotuzumab.json")
@click.argument("schedule")
@click.option("-o", "output", type=click.Path(path_type=Path), required=True, help="The PlanDefinition to write (.json), or - for standard output.")  # fmt: skip
@with_exit_codes
def export(schedule: str, output: Path) -> None:
    """Write SCHEDULE (a built-in id or a .toml path) as a PlanDefinition.

    What the profile cannot carry (infusions, premedication, stays, tests, windows, choices
    other than the defaults) is listed on standard error.
    """
    from dosecal.render.plandefinition import to_plandefinition

    result = to_plandefinition(definitions.resolve(schedule))
    for line in result.not_carried:
        click.echo(f"dosecal: {schedule}: " + say("error.fhir.not_carried", what=line), err=True)
    if str(output) == "-":
        click.echo(result.data.decode("utf-8"), nl=False)
    else:
        write_atomic(output, result.data)
