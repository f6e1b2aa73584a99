"""``dosecal list``, ``show`` and ``check``: the built-in schedules, in words, and files checked.

These commands render no calendar: they load definitions and plan files, and ``show`` writes a
Schedule in words (:mod:`dosecal.render.describe`), so they import no renderer of a format; only
``check`` expands a plan, and imports the core when it does.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

import click

from dosecal.cli.common import with_exit_codes
from dosecal.errors import InputFileError, PlanError, Problem
from dosecal.inputs import definitions, planfile
from dosecal.inputs.tomlfile import parse_toml, read_text
from dosecal.render.describe import describe
from dosecal.words import languages, msg


@click.command("list", epilog="\b\nExample:\n  dosecal list")
@with_exit_codes
def list_() -> None:
    """List the built-in schedules: id and title, one per line."""
    for ident in definitions.builtin_ids():
        schedule = definitions.resolve(ident)
        click.echo(f"{schedule.id:<24}{schedule.title}")


@click.command(
    epilog="\b\nExamples:\n  dosecal show blinatumomab-rr\n  dosecal show blinatumomab-rr --lang fr"
)
@click.argument("schedule")
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True,
              help="Language of the explanation.")  # fmt: skip
@with_exit_codes
def show(schedule: str, lang: str) -> None:
    """Explain SCHEDULE in words: phases, cycles, days, doses, choices and sources.

    SCHEDULE is a built-in id (see 'dosecal list') or a path to a .toml definition.
    """
    click.echo(describe(definitions.resolve(schedule), languages(lang)[0]), nl=False)


@click.command(epilog="\b\nExample:\n  dosecal check schedules/dasatinib.toml examples/dasatinib.plan.toml")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@with_exit_codes
def check(files: tuple[Path, ...]) -> None:
    """Validate schedule definitions and plan files; report every problem, one per line.

    A file with a [schedule] table is a definition; any other is a plan, which is also
    checked against the schedule it names.
    """
    problems: list[Problem] = []
    for path in files:
        try:
            text = read_text(path)
            try:
                is_definition = isinstance(parse_toml(text).get("schedule"), dict)
            except tomllib.TOMLDecodeError:  # the loader reports the syntax error with its line
                is_definition = path.parent.name == "schedules"
            if is_definition:
                definitions.loads(text, str(path))
            else:
                from dosecal.core.expand import expand
                from dosecal.inputs.overrides import with_zone

                plan = planfile.loads(text, str(path))
                if plan.schedule is None:
                    raise PlanError([Problem(str(path), "schedule", msg("error.cli.plan_file_must_name"))])
                expand(definitions.resolve(plan.schedule), with_zone(plan))  # checks the adjustments too
        except InputFileError as exc:
            problems.extend(exc.problems)
            continue
        click.echo(f"{path}: OK")
    if problems:
        raise InputFileError(problems)
