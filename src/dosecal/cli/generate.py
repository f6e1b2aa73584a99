"""``dosecal generate`` and ``adjust``: a plan expanded into files, and a change recorded in a plan file.

``generate`` imports the renderer of each format it writes, and only those; ``adjust`` checks a
change against the plan and records it in the file, whole or not at all, under a lock.
"""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import click

from dosecal.cli.common import (
    adjustment_options,
    decision_options,
    format_of,
    plan_of,
    plan_options,
    use_color,
    with_exit_codes,
)
from dosecal.cli.files import locked, write_all, write_atomic
from dosecal.core.expand import expand
from dosecal.inputs.overrides import Overrides, record
from dosecal.render import FORMATS, RenderOptions, render
from dosecal.words import languages, say

#: Google Calendar is reported to drop events from a calendar beyond about 1 MB or 1,100 events.
BIG_BYTES = 1_000_000
BIG_EVENTS = 1_000


@click.command(
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
    "--as-of",
    metavar="DATE",
    help="With --feed: the day the feed is served; it holds a window of the plan from a month "
    "before (at most 1,000 events and 1 MB), as dosecal serve does with today.",
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
@with_exit_codes
def generate(
    ics_times: str,
    paper: str,
    full_list: bool,
    feed: bool,
    as_of: str | None,
    fmt: str | None,
    outputs: tuple[str, ...],
    **plan_options: Any,
) -> None:
    """Expand SCHEDULE from a start date into a calendar, a printable plan, or data.

    SCHEDULE is a built-in id or a path to a .toml definition; it may be left out when the
    --plan file names one. Every output is written whole or not at all.
    """
    served = None
    if as_of is not None:
        from dosecal.inputs.overrides import bad, parse_date
        from dosecal.words import msg

        if not feed:
            raise bad("--as-of", msg("cli.as_of_needs_feed"))
        served = parse_date("--as-of", as_of)
    course = expand(*plan_of(**plan_options))
    langs = languages(course.plan.language)
    targets = outputs or ("-",)
    terminal = sys.stdout.isatty()
    color = use_color(terminal, os.environ)
    width = shutil.get_terminal_size((100, 24)).columns if terminal else 100
    rendered = [
        (
            target,
            render(
                format_of(target, fmt),
                course,
                RenderOptions(
                    ics_times="utc" if ics_times == "utc" else "zone",
                    paper="letter" if paper == "letter" else "a4",
                    width=width if target == "-" else 100,
                    color=color and target == "-",
                    full_list=full_list,
                    feed=feed,
                    as_of=served,
                    lang=langs[0],
                    also=langs[1] if len(langs) > 1 else None,
                ),
            ),
        )
        for target in targets
    ]
    write_all([(Path(target), data) for target, data in rendered if target != "-"])  # all, or none
    for target, data in rendered:
        if target != "-":
            click.echo(say("cli.wrote", target=target, count=len(course)), err=True)
        if format_of(target, fmt) == "ics" and (
            len(data) > BIG_BYTES or data.count(b"BEGIN:VEVENT") > BIG_EVENTS
        ):
            click.echo(say("cli.big_calendar", target=target), err=True)
    for target, data in rendered:
        if target == "-":
            try:
                sys.stdout.buffer.write(data)
                sys.stdout.flush()
            except BrokenPipeError:  # the reader stopped early (| head): nothing to report
                os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
                sys.exit(1)


@click.command(
    epilog="\b\nExamples:\n  dosecal adjust examples/blinatumomab-rr.plan.toml --delay 2=7 --note 'low counts'\n"
    "  dosecal adjust examples/inotuzumab.plan.toml --hold inotuzumab:C1D15 --dry-run\n"
    "  dosecal adjust examples/inotuzumab.plan.toml --choice transplant=no --cycles 4 --dry-run"
)
@click.argument("plan_file", type=click.Path(path_type=Path))
@adjustment_options
@decision_options
@click.option("--note", metavar="TEXT", help="Why: kept with the adjustment in the plan's history.")
@click.option(
    "--dry-run", is_flag=True, help="Check the adjustment and show it, but leave the file as it is."
)
@with_exit_codes
def adjust(
    plan_file: Path,
    delays: tuple[str, ...],
    holds: tuple[str, ...],
    interrupts: tuple[str, ...],
    dose_changes: tuple[str, ...],
    stop: str | None,
    time_changes: tuple[str, ...],
    body_sizes: tuple[str, ...],
    zone_changes: tuple[str, ...],
    choices: tuple[str, ...],
    cycles: str | None,
    until: str | None,
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
        time_changes=time_changes,
        body_sizes=body_sizes,
        zone_changes=zone_changes,
        choices=choices,
        cycles=cycles,
        until=until,
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
