"""What every command shares: the one place errors become exit status, and the plan options.

Every user mistake is a DosecalError, turned into one line per problem on stderr and exit
status 1 in :func:`with_exit_codes`, the one place that maps errors to exit codes. Values such
as dates and zones are checked by the library rather than by click types, because click reports
those as usage errors (exit 2) and the contract says bad input is exit 1.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from dosecal.cli.signals import Terminated, interrupted
from dosecal.errors import DosecalError, InputFileError
from dosecal.model.plan import Plan
from dosecal.model.schedule import Schedule
from dosecal.render import FORMATS
from dosecal.words import msg, say

P = ParamSpec("P")
R = TypeVar("R")


def _inputs(kwargs: Mapping[str, Any]) -> str:
    """The inputs of a command, for the last-resort message: what to attach to a report."""
    parts: list[str] = []
    for key in ("schedule", "plan_file", "files"):
        value = kwargs.get(key)
        if value:
            parts.extend(str(v) for v in (value if isinstance(value, tuple) else (value,)))
    return ", ".join(parts) or "options"


def with_exit_codes(func: Callable[P, R]) -> Callable[P, R]:
    """The one place errors become messages and exit status, never a traceback.

    DosecalError (bad input): its message, exit 1. Ctrl-C: exit 130. A closed standard output
    (``dosecal store list | head -1``): exit 1 with no message, as other Unix tools end. Anything
    else is a bug: one line naming the inputs and asking for a report, exit 1; ``dosecal --debug``
    shows the traceback instead.
    """

    @functools.wraps(func)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        try:
            return func(*args, **kwargs)
        except DosecalError as exc:
            if isinstance(exc, InputFileError):
                for problem in exc.problems:
                    click.echo(f"dosecal: {problem}", err=True)
            else:
                click.echo(f"dosecal: {exc}", err=True)
            sys.exit(exc.exit_code)
        except (click.exceptions.ClickException, click.exceptions.Abort, click.exceptions.Exit):
            raise  # click's own: usage errors keep exit status 2
        except (KeyboardInterrupt, Terminated) as exc:
            interrupted(exc)
        except BrokenPipeError:
            # The reader stopped early: nothing to report, and nobody to report it to. Standard
            # output now points to /dev/null, so that Python's flush at exit fails no more.
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            sys.exit(1)
        except Exception as exc:
            context = click.get_current_context(silent=True)
            if context is not None and context.find_root().params.get("debug"):
                raise
            what = " ".join(str(exc).split())[:200] or type(exc).__name__
            click.echo(
                "dosecal: "
                + say("error.cli.unexpected", inputs=_inputs(kwargs), kind=type(exc).__name__, what=what),
                err=True,
            )
            sys.exit(1)

    return wrapper


def plan_of(schedule: str | None, plan_file: Path | None, **options: Any) -> tuple[Schedule, Plan]:
    """The schedule and plan the plan options describe (see :func:`dosecal.inputs.overrides.plan_for`)."""
    from dosecal.inputs.overrides import Overrides, plan_for  # the core comes with it: not for 'list'

    return plan_for(schedule, plan_file, Overrides(**options))


def use_color(terminal: bool, environ: Mapping[str, str]) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (https://no-color.org) or TERM=dumb."""
    return terminal and "NO_COLOR" not in environ and environ.get("TERM") != "dumb"


def adjustment_options(func: Callable[P, R]) -> Callable[P, R]:
    """The options that record what changed along the way; shared by generate and adjust."""
    options = [
        click.option("--delay", "delays", metavar="N=DAYS|N=DATE", multiple=True,
                     help="Start cycle N, and everything after it, DAYS later (or on DATE)."),
        click.option("--hold", "holds", metavar="[AGENT:]CnDd", multiple=True,
                     help="Hold the dose(s) of one day: C2D8, Dd for a plan day, AGENT:C2D8 if several agents dose."),
        click.option("--interrupt", "interrupts", metavar="CnDd[@HH:MM]=LENGTH[:restart=DOSE|:cause=toxicity]",
                     multiple=True,
                     help="A continuous infusion stopped on CnDd (at HH:MM, else its usual time) for LENGTH "
                          "in days (3, 3d) or hours (6h). restart=DOSE (9, '9 mcg/day' or same) or "
                          "cause=toxicity (the label's lower restart dose) sets the dose on restart; "
                          "without either it shows as set by the care team."),
        click.option("--change-dose", "dose_changes", metavar="AGENT=DOSE@DATE", multiple=True,
                     help="From DATE on, AGENT is given at DOSE (e.g. ponatinib=15 mg@2027-04-01)."),
        click.option("--stop", metavar="DATE", help="Treatment stops on DATE: every later event is cancelled."),
        click.option("--time-change", "time_changes", metavar="DATE:AGENT=HH:MM[,HH:MM]", multiple=True,
                     help="From DATE on, AGENT is given at these clock times (an infusion: from its next cycle)."),
        click.option("--body-size", "body_sizes", metavar="DATE=WEIGHT[,HEIGHT]", multiple=True,
                     help="From DATE on, the patient weighs WEIGHT kg (and measures HEIGHT cm): doses "
                          "computed from body size use the new measures."),
        click.option("--zone-change", "zone_changes", metavar="DATE=Area/City", multiple=True,
                     help="From DATE on, the patient lives in this time zone: doses keep their clock time there."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def decision_options(func: Callable[P, R]) -> Callable[P, R]:
    """The decisions a care team makes later: choices, the number of cycles, the last day (adjust)."""
    options = [
        click.option("--choice", "choices", metavar="ID=VALUE", multiple=True,
                     help="A choice made now (response=cr)."),
        click.option("--cycles", metavar="N",
                     help="Plan N cycles from now on (more after a response, fewer when treatment ends early)."),
        click.option("--until", metavar="DATE",
                     help="Plan through DATE from now on (more months of a daily drug, or fewer)."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def format_of(path: str, fmt: str | None) -> str:
    """The format an output path asks for: ``fmt`` if given, else its extension, else txt.

    A FHIR Bundle is JSON, so its file ends in ``.fhir.json`` (as FHIR's own examples are
    named): that double suffix asks for ``fhir``, a plain ``.json`` for dosecal's JSON.
    """
    if fmt is not None:
        return fmt
    if path == "-":
        return "txt"
    if path.lower().endswith(".fhir.json"):
        return "fhir"
    ext = Path(path).suffix.lower().lstrip(".")
    if ext in FORMATS:
        return ext
    from dosecal.inputs.overrides import bad

    raise bad("-o", msg("error.cli.cannot_tell_format_path", path=path, join="|".join(FORMATS)))


def plan_options(func: Callable[P, R]) -> Callable[P, R]:
    """SCHEDULE and the options that make a plan; shared by generate and publish."""
    options = [
        click.argument("schedule", required=False),
        click.option("--start", metavar="DATE", help="Day 1 of the plan (YYYY-MM-DD)."),
        click.option("--plan", "plan_file", type=click.Path(path_type=Path),
                     help="A plan file (TOML); options override it."),
        click.option("--tz", metavar="ZONE", help="IANA time zone, e.g. America/Toronto (default: the computer's)."),
        click.option("--time", "times", metavar="AGENT=HH:MM", multiple=True,
                     help="Dose or appointment time; HH:MM,HH:MM for several a day."),
        click.option("--choice", "choices", metavar="ID=VALUE", multiple=True,
                     help="A choice the schedule offers (see 'dosecal show')."),
        click.option("--until", metavar="DATE",
                     help="Last day to include (default: the end of the last cycle, or 90 days)."),
        click.option("--cycles", type=int, metavar="N",
                     help="Number of cycles to plan (at most what the schedule allows)."),
        click.option("--patient", metavar="TEXT",
                     help="A name or label for printable plans; never put into the .ics."),
        click.option("--weight", metavar="KG", help="Body weight in kg: picks weight bands, computes per-m² doses."),
        click.option("--height", metavar="CM", help="Height in cm: with --weight, per-m² doses are computed (Mosteller)."),
        click.option("--reminder", type=int, metavar="MINUTES",
                     help="Minutes before each dose that calendar reminders fire (default 15)."),
        click.option("--lang", metavar="LANG",
                     help="Language of everything a reader sees: en (default), fr (Canadian French), or fr+en / "
                          "en+fr for a printout in both (calendars and data take the first)."),
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return adjustment_options(func)
