"""The command line: parse, load, expand, render, write. Thin on purpose; the logic lives below.

Every user mistake is a DosecalError, turned into one line per problem on stderr and exit
status 1 in :func:`_errors`, the one place that maps errors to exit codes. Values such as
dates and zones are checked here rather than by click types, because click reports those as
usage errors (exit 2) and the contract says bad input is exit 1.
"""

from __future__ import annotations

import functools
import os
import shutil
import signal
import sys
import threading
import tomllib
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import click

from dosecal import __version__, definitions, planfile
from dosecal.describe import describe
from dosecal.errors import DosecalError, InputFileError, PlanError, Problem
from dosecal.expand import expand
from dosecal.output import locked, write_all, write_atomic
from dosecal.overrides import Overrides, bad, plan_for, record, with_zone
from dosecal.plan import Plan
from dosecal.render import FORMATS, RenderOptions, render
from dosecal.schedule import Schedule
from dosecal.tomlfile import parse_toml, read_text
from dosecal.words import languages, msg, say

P = ParamSpec("P")
R = TypeVar("R")


#: Exit status after SIGINT (Ctrl-C) and SIGTERM, as a shell reports them (128 + signal).
INTERRUPTED = 130
TERMINATED = 143


class Terminated(SystemExit):
    """SIGTERM, raised where the program is, so that every ``finally`` runs (temporary files go).

    A SystemExit, so that even outside a command (while click parses) it ends the program
    quietly with status 143 instead of a traceback.
    """


def _terminate(_signum: int, _frame: object) -> None:
    """The SIGTERM handler: see :class:`Terminated`."""
    raise Terminated(TERMINATED)


def _inputs(kwargs: Mapping[str, Any]) -> str:
    """The inputs of a command, for the last-resort message: what to attach to a report."""
    parts: list[str] = []
    for key in ("schedule", "plan_file", "files"):
        value = kwargs.get(key)
        if value:
            parts.extend(str(v) for v in (value if isinstance(value, tuple) else (value,)))
    return ", ".join(parts) or "options"


def _errors(func: Callable[P, R]) -> Callable[P, R]:
    """The one place errors become messages and exit status, never a traceback.

    DosecalError (bad input): its message, exit 1. Ctrl-C: exit 130. Anything else is a bug:
    one line naming the inputs and asking for a report, exit 1; ``dosecal --debug`` shows the
    traceback instead.
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
            click.echo(f"dosecal: {say('error.cli.interrupted')}", err=True)
            sys.exit(TERMINATED if isinstance(exc, Terminated) else INTERRUPTED)
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


def _overrides(schedule: str | None, plan_file: Path | None, **options: Any) -> tuple[Schedule, Plan]:
    """The schedule and plan the plan options describe (see :func:`dosecal.overrides.plan_for`)."""
    return plan_for(schedule, plan_file, Overrides(**options))


def use_color(terminal: bool, environ: Mapping[str, str]) -> bool:
    """Colour only on a terminal, never with NO_COLOR set (https://no-color.org) or TERM=dumb."""
    return terminal and "NO_COLOR" not in environ and environ.get("TERM") != "dumb"


@click.group(
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="\b\nExamples:\n"
    "  dosecal generate dasatinib --start 2027-01-04 --tz America/Toronto -o dasatinib.ics\n"
    "  dosecal generate dasatinib --start 2027-01-04 --tz America/Montreal --lang fr -o dasatinib.pdf",
)
@click.version_option(__version__, prog_name="dosecal")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error (to report it).")
def main(debug: bool) -> None:  # noqa: ARG001 (read by _errors from the context)
    """Turn cancer treatment schedules into calendars and printable plans.

    dosecal shows a schedule; it does not prescribe. Follow your care team's instructions.

    Everything a reader sees is in English unless --lang fr (Canadian French) or --lang fr+en
    (a printout in both) is given, or the plan file says language = "fr".
    """
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)


@main.command("list", epilog="\b\nExample:\n  dosecal list")
@_errors
def list_() -> None:
    """List the built-in schedules: id and title, one per line."""
    for ident in definitions.builtin_ids():
        schedule = definitions.resolve(ident)
        click.echo(f"{schedule.id:<24}{schedule.title}")


@main.command(
    epilog="\b\nExamples:\n  dosecal show blinatumomab-rr\n  dosecal show blinatumomab-rr --lang fr"
)
@click.argument("schedule")
@click.option("--lang", type=click.Choice(["en", "fr"]), default="en", show_default=True,
              help="Language of the explanation.")  # fmt: skip
@_errors
def show(schedule: str, lang: str) -> None:
    """Explain SCHEDULE in words: phases, cycles, days, doses, choices and sources.

    SCHEDULE is a built-in id (see 'dosecal list') or a path to a .toml definition.
    """
    click.echo(describe(definitions.resolve(schedule), languages(lang)[0]), nl=False)


@main.command(epilog="\b\nExample:\n  dosecal check schedules/dasatinib.toml examples/dasatinib.plan.toml")
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
@_errors
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
    ]  # fmt: skip
    for option in reversed(options):
        func = option(func)
    return func


def _format_of(path: str, fmt: str | None) -> str:
    if fmt is not None:
        return fmt
    if path == "-":
        return "txt"
    ext = Path(path).suffix.lower().lstrip(".")
    if ext in FORMATS:
        return ext
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


@main.command(
    epilog="\b\nExamples:\n  dosecal generate dasatinib --start 2027-01-04 --tz America/Toronto -o dasatinib.ics\n"
    "  dosecal generate blinatumomab-rr --start 2027-01-04 --choice bag-hours=48 -o plan.ics -o plan.html"
)
@plan_options
@click.option(
    "--ics-times",
    type=click.Choice(["zone", "utc"]),
    default="zone",
    show_default=True,
    help="Write .ics times with their zone, or in UTC.",
)
@click.option(
    "--paper",
    type=click.Choice(["a4", "letter"]),
    default="a4",
    show_default=True,
    help="Paper size of PDF output (HTML prints on whatever the printer uses).",
)
@click.option(
    "--feed",
    is_flag=True,
    help="Write the .ics as a feed serves it: with refresh hints for subscribed calendars.",
)
@click.option(
    "--full-list",
    is_flag=True,
    help="List every event in the printable plan's day-by-day list (default: runs summarised).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(FORMATS),
    help="Output format (default: from the -o extension, else txt).",
)
@click.option(
    "-o",
    "--output",
    "outputs",
    metavar="PATH",
    multiple=True,
    help="Output file, or - for standard output; repeat for several formats.",
)
@_errors
def generate(
    ics_times: str,
    paper: str,
    full_list: bool,
    feed: bool,
    fmt: str | None,
    outputs: tuple[str, ...],
    **plan_options: Any,
) -> None:
    """Expand SCHEDULE from a start date into a calendar, a printable plan, or data.

    SCHEDULE is a built-in id or a path to a .toml definition; it may be left out when the
    --plan file names one. Every output is written whole or not at all.
    """
    course = expand(*_overrides(**plan_options))
    langs = languages(course.plan.language)
    targets = outputs or ("-",)
    terminal = sys.stdout.isatty()
    color = use_color(terminal, os.environ)
    width = shutil.get_terminal_size((100, 24)).columns if terminal else 100
    rendered = [
        (
            target,
            render(
                _format_of(target, fmt),
                course,
                RenderOptions(
                    ics_times="utc" if ics_times == "utc" else "zone",
                    paper="letter" if paper == "letter" else "a4",
                    width=width if target == "-" else 100,
                    color=color and target == "-",
                    full_list=full_list,
                    feed=feed,
                    lang=langs[0],
                    also=langs[1] if len(langs) > 1 else None,
                ),
            ),
        )
        for target in targets
    ]
    write_all([(Path(target), data) for target, data in rendered if target != "-"])  # all, or none
    for target, _ in rendered:
        if target != "-":
            click.echo(say("cli.wrote", target=target, count=len(course)), err=True)
    for target, data in rendered:
        if target == "-":
            try:
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
            except BrokenPipeError:  # the reader stopped early (| head): nothing to report
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                sys.exit(1)


@main.command(
    epilog="\b\nExample (with DOSECAL_CALDAV_USERNAME and DOSECAL_CALDAV_PASSWORD set):\n"
    "  dosecal publish --plan examples/inotuzumab.plan.toml --url https://dav.example.org/alice/treatment/"
)
@plan_options
@click.option(
    "--url", required=True, metavar="URL", help="The CalDAV calendar collection (created if missing)."
)
@click.option(
    "--timeout", type=int, default=30, show_default=True, metavar="SECONDS", help="Per-request timeout."
)
@_errors
def publish(url: str, timeout: int, **plan_options: Any) -> None:
    """Make a CalDAV calendar hold exactly this plan: create, update and remove its events.

    Only this plan's events are touched (their UIDs start with the plan id); others in the
    collection stay. Credentials come from DOSECAL_CALDAV_USERNAME and DOSECAL_CALDAV_PASSWORD
    or from a netrc file (NETRC or ~/.netrc), never from the command line. If the server fails
    part way, run the same command again: it finishes the job.
    """
    from dosecal.publish import publish as push

    course = expand(*_overrides(**plan_options))
    report = push(course, url=url, timeout=timeout, lang=languages(course.plan.language)[0])
    click.echo(report.describe(), err=True)


@main.command(
    epilog="\b\nExamples:\n  dosecal adjust examples/blinatumomab-rr.plan.toml --delay 2=7 --note 'low counts'\n"
    "  dosecal adjust examples/inotuzumab.plan.toml --hold inotuzumab:C1D15 --dry-run"
)
@click.argument("plan_file", type=click.Path(path_type=Path))
@adjustment_options
@click.option(
    "--choice", "choices", metavar="ID=VALUE", multiple=True, help="A choice made now (response=cr)."
)
@click.option("--note", metavar="TEXT", help="Why: kept with the adjustment in the plan's history.")
@click.option(
    "--dry-run", is_flag=True, help="Check the adjustment and show it, but leave the file as it is."
)
@_errors
def adjust(
    plan_file: Path,
    delays: tuple[str, ...],
    holds: tuple[str, ...],
    interrupts: tuple[str, ...],
    dose_changes: tuple[str, ...],
    stop: str | None,
    choices: tuple[str, ...],
    note: str | None,
    dry_run: bool,
) -> None:
    """Record an adjustment in PLAN_FILE, after checking that it fits the plan.

    The adjustment is added at the end of the plan's history ([[adjustments]]), so that the
    calendar generated again moves, cancels or changes exactly the events concerned, keeping
    their UIDs with a higher SEQUENCE. An adjustment that contradicts the plan (a cycle that
    does not exist, a hold on a treatment-free day) is refused and the file is not touched.
    """
    given = Overrides(
        delays=delays,
        holds=holds,
        interrupts=interrupts,
        dose_changes=dose_changes,
        stop=stop,
        choices=choices,
        note=note,
    )
    # Two adjusts of one plan at once: the second waits for the first and then reads its
    # result; a change by another program meanwhile is refused, never overwritten.
    with locked(plan_file):
        change = record(plan_file, given)
        if not dry_run:
            write_atomic(plan_file, change.text.encode("utf-8"), expect=change.before.encode("utf-8"))
    for line in change.describe():
        click.echo(say("cli.would_record" if dry_run else "cli.recorded", change=line), err=True)


# The plan store, its database and the feed server: their commands register on ``main``.
from dosecal import cli_store  # noqa: F401
