"""``dosecal audit``: who opened, printed or downloaded which plan, for a privacy office."""

from __future__ import annotations

import csv
import io
import json
import sys

import click

from dosecal.cli.common import with_exit_codes
from dosecal.cli.database import db_option, require_server


@click.command(
    "audit",
    epilog="\b\nExamples:\n  dosecal audit --db dosecal.db --plan 3f9c2a1b7e04\n"
    "  dosecal audit --db dosecal.db --user mtremblay --since 2027-01-01 --format json",
)
@db_option
@click.option("--plan", "plan_id", metavar="ID", help="Only this plan's entries.")
@click.option("--user", metavar="NAME", help="Only this user's entries.")
@click.option("--since", metavar="DATE", help="Only entries from DATE (YYYY-MM-DD, UTC) on.")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "json"]),
    default="csv",
    show_default=True,
    help="Output format.",
)
@with_exit_codes
def audit(db: str | None, plan_id: str | None, user: str | None, since: str | None, fmt: str) -> None:
    """Write the audit trail of the clinic's pages and store commands to standard output, oldest first.

    Each entry: when (UTC), who, what (sign-in, sign-out, view, print, download:FORMAT,
    feed-link, add, adjust, archive; from the command line also export, upgrade, remove,
    feed-revoke, team, user-add, user-remove, user-password, user-teams), which plan, from
    which address ('cli' for a command) and whom or what it was about (a user, a team). No
    label and no patient text: only the plan's id.
    """
    require_server()
    from dosecal.inputs.overrides import parse_date
    from dosecal.service.audit import Audit
    from dosecal.service.database import database_url
    from dosecal.service.store import Store

    day = parse_date("--since", since) if since is not None else None
    store = Store(database_url(db))
    try:
        entries = Audit(store.engine).entries(plan_id=plan_id, user=user, since=day)
    finally:
        store.close()
    rows = [e.row() for e in entries]
    if fmt == "json":
        sys.stdout.write(json.dumps({"entries": rows}, indent=2) + "\n")
        return
    out = io.StringIO()
    writer = csv.DictWriter(
        out, fieldnames=["at", "user", "action", "plan_id", "client", "subject"], lineterminator="\n"
    )
    writer.writeheader()
    writer.writerows(rows)
    sys.stdout.write(out.getvalue())
