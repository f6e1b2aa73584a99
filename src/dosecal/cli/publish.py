"""``dosecal publish``: a plan written to a CalDAV calendar (the optional ``caldav`` extra)."""

from __future__ import annotations

from typing import Any

import click

from dosecal.cli.common import plan_of, plan_options, with_exit_codes
from dosecal.core.expand import expand
from dosecal.words import languages


@click.command(
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
@with_exit_codes
def publish(url: str, timeout: int, **plan_options: Any) -> None:
    """Make a CalDAV calendar hold exactly this plan: create, update and remove its events.

    Only this plan's events are touched (their UIDs start with the plan id); others in the
    collection stay. Credentials come from DOSECAL_CALDAV_USERNAME and DOSECAL_CALDAV_PASSWORD
    or from a netrc file (NETRC or ~/.netrc), never from the command line. If the server fails
    part way, run the same command again: it finishes the job.
    """
    from dosecal.service.publish import publish as push

    course = expand(*plan_of(**plan_options))
    report = push(course, url=url, timeout=timeout, lang=languages(course.plan.language)[0])
    click.echo(report.describe(), err=True)
