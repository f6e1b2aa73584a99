"""``dosecal store``: plans kept in the plan store, with their history and feed links.

It reuses the adjustment options and checks of ``dosecal adjust``, so that a stored plan
refuses exactly what a plan file refuses.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from dosecal.cli.common import adjustment_options, decision_options, with_exit_codes
from dosecal.cli.database import (
    Db,
    db_option,
    outputs_option,
    print_links,
    public_option,
    record,
    store_of,
    who_of,
    who_option,
    write_plan,
)
from dosecal.cli.files import write_atomic
from dosecal.cli.regimens import regimens
from dosecal.inputs.overrides import Overrides
from dosecal.render.feedlink import links
from dosecal.words import languages, say


@click.group(
    "store",
    epilog="\b\nExamples:\n  dosecal store --db dosecal.db add --plan examples/inotuzumab.plan.toml --label 'bed 12'\n"
    "  dosecal store --db dosecal.db list",
)
@db_option
def store(db: str | None) -> None:
    """Keep plans in a database and serve each as a calendar feed that follows every change.

    The database is --db, else $DOSECAL_DB, else ~/.local/share/dosecal/dosecal.db; make its
    tables first with 'dosecal db upgrade'.
    """
    click.get_current_context().obj = Db(db)


@store.command(
    "add", epilog="\b\nExample:\n  dosecal store add --plan examples/inotuzumab.plan.toml -o plan.html"
)
@click.option(
    "--plan", "plan_file", required=True, type=click.Path(path_type=Path), help="The plan file to store."
)
@click.option(
    "--label", metavar="TEXT", help="A label for the clinic (kept in the database, never in a feed)."
)
@click.option(
    "--team",
    metavar="TEAM",
    default="clinic",
    show_default=True,
    help="The team whose nurses see the plan on the clinic's pages.",
)
@public_option
@who_option
@outputs_option
@with_exit_codes
def store_add(
    plan_file: Path,
    label: str | None,
    team: str,
    public_url: str,
    who: str | None,
    outputs: tuple[str, ...],
) -> None:
    """Store a plan with a snapshot of its definition; print its id and its feed links.

    Print the plan with -o plan.html to hand the link over as a QR code; 'dosecal store show'
    and 'dosecal store print' show and print the link in force again at any time.
    """
    from dosecal.service.teams import Teams, check_team

    check_team(team)
    s = store_of()
    stored, token = s.add(plan_file, label=label, who=who_of(who))
    Teams(s.engine).assign(stored.id, team)
    record(s, "add", stored.id, who=who)
    click.echo(say("store.added", id=stored.id, version=stored.version))
    print_links(public_url, token)
    write_plan(stored, outputs, links(public_url, token)[0])


def _import_id(path: Path, text: str) -> str:
    """The id a plan file gets from ``store import``: the same file, imported again, is skipped.

    Derived from the file's full path and its text, so that a run stopped by Ctrl-C and run
    again stores each file once, and two patients' identical files in two places are two plans.
    """
    import hashlib

    return hashlib.sha256(f"{path.resolve()}\0{text}".encode()).hexdigest()[:12]


@store.command(
    "import",
    epilog="\b\nExamples:\n  dosecal store import plans/ --team hematology\n"
    "  dosecal store import plans/ --label-from-name",
)
@click.argument("folder", type=click.Path(path_type=Path, file_okay=False))
@click.option(
    "--team",
    metavar="TEAM",
    default="clinic",
    show_default=True,
    help="The team whose nurses see the plans on the clinic's pages.",
)
@click.option("--label-from-name", is_flag=True, help="Label each plan with its file's name (without .toml).")
@who_option
@with_exit_codes
def store_import(folder: Path, team: str, label_from_name: bool, who: str | None) -> None:
    """Store every plan file (*.toml) in FOLDER, each checked as 'store add' checks one.

    A file that is refused is named with its reason and the others are stored; a file stored
    before (by an earlier import of the same file) is skipped, so a run stopped with Ctrl-C can
    be run again. Exit status 1 when any file was refused.
    """
    from dosecal.errors import ConflictError, DosecalError, StoreError
    from dosecal.inputs.tomlfile import read_text
    from dosecal.service.teams import Teams, check_team
    from dosecal.words import msg

    check_team(team)
    if not folder.is_dir():
        raise StoreError(msg("error.store.import_folder", folder=str(folder)))
    files = sorted(folder.glob("*.toml"))
    s = store_of()
    teams = Teams(s.engine)

    def one(path: Path) -> tuple[str, str]:
        try:
            text = read_text(path)
            plan_id = _import_id(path, text)
            label = path.name.removesuffix(".toml") if label_from_name else None
            stored, _ = s.add_text(text, source=str(path), label=label, who=who_of(who), plan_id=plan_id)
        except ConflictError:
            return "same", say("store.import.skipped", file=str(path), id=plan_id)
        except DosecalError as exc:
            return "refused", _refused(str(path), str(exc))
        teams.assign(stored.id, team)
        record(s, "add", stored.id, who=who)
        return "done", say("store.import.added", file=str(path), id=stored.id)

    done = _bulk(files, say("store.import.progress"), one)
    click.echo(
        say(
            "store.import.done",
            added=done["done"],
            skipped=done["same"],
            failed=done["refused"],
            total=len(files),
        ),
        err=True,
    )
    if done["refused"]:
        raise SystemExit(1)


T = TypeVar("T")


def _bulk(items: list[T], label: str, one: Callable[[T], tuple[str, str]]) -> Counter[str]:
    """Do ``one`` to each item under a progress bar (on a terminal); count what each returned.

    Each item is its own transaction, so Ctrl-C stops after the one in progress with everything
    before it recorded; the lines so far and how far it got are shown before it exits.
    """
    counts: Counter[str] = Counter()
    lines: list[str] = []
    try:
        with click.progressbar(items, label=label, file=sys.stderr) as bar:
            for item in bar:
                outcome, line = one(item)
                counts[outcome] += 1
                if line:
                    lines.append(line)
    except KeyboardInterrupt:
        _report(lines)
        click.echo(say("store.stopped", done=sum(counts.values()), total=len(items)), err=True)
        raise
    _report(lines)
    return counts


def _refused(what: str, reason: str) -> str:
    """One refused file or plan: named once, whether or not the reason already names it."""
    if reason.startswith(what):
        return say("store.import.refused_at", reason=reason)
    return say("store.import.refused", file=what, reason=reason)


def _report(lines: list[str]) -> None:
    """What a bulk command did, file by file (after its progress bar, which shares the terminal)."""
    for line in lines:
        click.echo(line)


@store.command("list", epilog="\b\nExamples:\n  dosecal store list\n  dosecal store list --archived")
@click.option("--archived", is_flag=True, help="List the archived plans instead of those in use.")
@with_exit_codes
def store_list(archived: bool) -> None:
    """List the stored plans in use (or archived): id, schedule, version, feed, label."""
    for p in store_of().plans(archived=archived):
        state = say("store.feed_on" if p.feed else "store.feed_off")
        click.echo(f"{p.id}  {p.schedule:<24}  v{p.version:<4} {state:<10} {p.label or ''}".rstrip())


@store.command("show", epilog="\b\nExample:\n  dosecal store show 3f9c2a1b7e04")
@click.argument("plan_id")
@public_option
@with_exit_codes
def store_show(plan_id: str, public_url: str) -> None:
    """Show a stored plan: its facts, its feed link in force and the history of its changes."""
    s = store_of()
    p = s.get(plan_id)
    record(s, "view", plan_id)
    click.echo(say("store.show.plan", id=p.id, version=p.version, schedule=p.schedule, origin=p.origin))
    if p.label:
        click.echo(say("store.show.label", label=p.label))
    if p.archived is not None:
        click.echo(say("store.show.archived", at=p.archived.strftime("%Y-%m-%d %H:%M UTC")))
    click.echo(say("store.show.feed", state=say("store.feed_on" if p.feed else "store.feed_off")))
    link = s.feed_link(plan_id)
    if link.token is not None:
        print_links(public_url, link.token)
    elif link.state == "hidden":
        click.echo(say("store.feed_hidden", id=plan_id))
    for c in s.history(plan_id):
        click.echo(
            say(
                "store.show.change",
                at=c.at.strftime("%Y-%m-%d %H:%M UTC"),
                version=c.version,
                action=c.action,
                who=c.who,
                detail=c.detail,
            )
            + (say("store.show.note", note=c.note) if c.note else "")
        )


@store.command(
    "adjust",
    epilog="\b\nExamples:\n  dosecal store adjust 3f9c2a1b7e04 --delay 2=7 --note 'low counts'\n"
    "  dosecal store adjust 3f9c2a1b7e04 --hold inotuzumab:C1D15 --if-version 3",
)
@click.argument("plan_id")
@adjustment_options
@decision_options
@click.option("--note", metavar="TEXT", help="Why: kept with the adjustment in the plan's history.")
@click.option(
    "--if-version",
    "expect_version",
    type=int,
    metavar="N",
    help="Refuse unless the plan is still at version N (the one you looked at).",
)
@click.option("--dry-run", is_flag=True, help="Check the adjustment and show it, but store nothing.")
@who_option
@with_exit_codes
def store_adjust(
    plan_id: str,
    expect_version: int | None,
    dry_run: bool,
    who: str | None,
    **given: Any,
) -> None:
    """Record an adjustment in a stored plan, checked as 'dosecal adjust' checks a plan file.

    Its feed shows the change at the next poll: moved events keep their UIDs with a higher
    SEQUENCE. If someone else changed the plan since the version read, nothing is recorded
    and the message says so: look at 'dosecal store show' and run the command again.
    """
    s = store_of()
    stored, change = s.adjust(
        plan_id, Overrides(**given), who=who_of(who), expect_version=expect_version, dry_run=dry_run
    )
    if not dry_run:
        record(s, "adjust", plan_id, who=who)
    for line in change.describe():
        click.echo(say("cli.would_record" if dry_run else "cli.recorded", change=line), err=True)
    if not dry_run:
        click.echo(say("store.version", id=stored.id, version=stored.version), err=True)


@store.command("export", epilog="\b\nExample:\n  dosecal store export 3f9c2a1b7e04 -o plan.toml")
@click.argument("plan_id")
@click.option("--definition", is_flag=True, help="Export the definition snapshot instead of the plan file.")
@click.option(
    "-o", "--output", "output", metavar="PATH", default="-", help="Output file (default: standard output)."
)
@with_exit_codes
def store_export(plan_id: str, definition: bool, output: str) -> None:
    """Write a stored plan's file, history included (or, with --definition, its definition).

    'dosecal generate DEFINITION --plan PLAN --feed' on the two gives the feed's bytes.
    """
    s = store_of()
    p = s.get(plan_id)
    record(s, "export", plan_id)
    data = (p.definition if definition else p.content).encode("utf-8")
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_atomic(Path(output), data)


@store.command("print", epilog="\b\nExample:\n  dosecal store print 3f9c2a1b7e04 -o plan.html")
@click.argument("plan_id")
@public_option
@outputs_option
@with_exit_codes
def store_print(plan_id: str, public_url: str, outputs: tuple[str, ...]) -> None:
    """Render a stored plan from its own definition snapshot (.ics is the feed's calendar).

    A printable plan carries the feed link in force with its QR code, or none when the feed
    is stopped: never a link that no longer opens the calendar.
    """
    s = store_of()
    link = s.feed_link(plan_id)
    record(s, "print", plan_id)
    write_plan(s.get(plan_id), outputs or ("-",), links(public_url, link.token)[0] if link.token else None)


@store.command(
    "archive", epilog="\b\nExample:\n  dosecal store archive 3f9c2a1b7e04 --note 'course completed'"
)
@click.argument("plan_id")
@click.option("--note", metavar="TEXT", help="Why: kept in the plan's history.")
@who_option
@with_exit_codes
def store_archive(plan_id: str, note: str | None, who: str | None) -> None:
    """Archive a plan at the end of its course: out of the list, feed stopped, history kept."""
    if note is not None:  # checked as an adjustment's note is: the history shows it
        from dosecal.errors import reason
        from dosecal.inputs.overrides import bad
        from dosecal.model import limits

        try:
            limits.check_text(note, limits.MAX_NOTE)
        except ValueError as exc:
            raise bad("--note", reason(exc)) from None
    s = store_of()
    s.archive(plan_id, who=who_of(who), note=note)
    record(s, "archive", plan_id, who=who)
    click.echo(say("store.archived", id=plan_id), err=True)


@store.command("feed", epilog="\b\nExamples:\n  dosecal store feed 3f9c2a1b7e04 --rotate -o plan.html\n"
               "  dosecal store feed 3f9c2a1b7e04 --revoke")  # fmt: skip
@click.argument("plan_id")
@click.option(
    "--rotate", "action", flag_value="rotate", help="Give the feed a new link; the old one stops working."
)
@click.option("--revoke", "action", flag_value="revoke", help="Stop the feed: its link answers 404.")
@public_option
@who_option
@outputs_option
@with_exit_codes
def store_feed(
    plan_id: str,
    action: str | None,
    public_url: str,
    who: str | None,
    outputs: tuple[str, ...],
) -> None:
    """Give a stored plan's feed a new link (--rotate) or stop it (--revoke)."""
    if action is None:
        raise click.UsageError(say("error.store.rotate_or_revoke"))
    s = store_of()
    if action == "revoke":
        s.revoke(plan_id, who=who_of(who))
        record(s, "feed-revoke", plan_id, who=who)
        click.echo(say("store.revoked", id=plan_id))
        return
    token = s.rotate(plan_id, who=who_of(who))
    record(s, "feed-link", plan_id, who=who)
    print_links(public_url, token)
    write_plan(s.get(plan_id), outputs, links(public_url, token)[0])


@store.command(
    "upgrade",
    epilog="\b\nExamples:\n  dosecal store upgrade 3f9c2a1b7e04 --dry-run\n  dosecal store upgrade --all",
)
@click.argument("plan_id", required=False)
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path),
    help="The definition file to apply (default: where the plan's came from).",
)
@click.option(
    "--all", "every", is_flag=True, help="Every plan in use, each from where its definition came from."
)
@click.option("--dry-run", is_flag=True, help="Show what would move, change nothing.")
@who_option
@with_exit_codes
def store_upgrade(
    plan_id: str | None, source: Path | None, every: bool, dry_run: bool, who: str | None
) -> None:
    """Apply a newer definition to a stored plan (or --all), listing every event that moves.

    A stored plan keeps the definition it was made from: a change to a built-in schedule
    reaches its calendar only through this command. With --all, a progress bar on a terminal,
    one line a plan, and a count at the end; Ctrl-C stops after the plan in progress, the plans
    upgraded so far staying upgraded.
    """
    if every == (plan_id is not None):
        raise click.UsageError(say("error.store.upgrade_one_or_all"))
    if every and source is not None:
        raise click.UsageError(say("error.store.upgrade_all_from"))
    if plan_id is None:
        _upgrade_all(dry_run, who)
        return
    from dosecal.service.courses import describe_withdrawn

    s = store_of()
    result = s.upgrade(plan_id, who=who_of(who), source=source, dry_run=dry_run)
    if result.changed and not dry_run:
        record(s, "upgrade", plan_id, who=who)
    lang = languages("en")[0]
    for move in result.moves:
        click.echo(lang.text(move.describe()))
    for drug in describe_withdrawn(result.withdrawn):
        click.echo(lang.text(drug))
    if not result.changed:
        click.echo(say("store.upgrade.same", id=plan_id), err=True)
    elif dry_run:
        click.echo(say("store.upgrade.would", id=plan_id, count=len(result.moves)), err=True)
    else:
        click.echo(
            say("store.upgrade.done", id=plan_id, version=result.plan.version, count=len(result.moves)),
            err=True,
        )


@store.command("team", epilog="\b\nExample:\n  dosecal store team 3f9c2a1b7e04 oncology")
@click.argument("plan_id")
@click.argument("team")
@who_option
@with_exit_codes
def store_team(plan_id: str, team: str, who: str | None) -> None:
    """Give a plan to TEAM: that team's nurses see it on the clinic's pages, others no longer."""
    from dosecal.service.teams import Teams, check_team

    check_team(team)
    s = store_of()
    s.get(plan_id)  # an unknown plan is an error, not a row for nothing
    Teams(s.engine).assign(plan_id, team)
    record(s, "team", plan_id, who=who, subject=team)
    click.echo(say("store.team", id=plan_id, team=team), err=True)


def _upgrade_all(dry_run: bool, who: str | None) -> None:
    """``store upgrade --all``: each plan in use, in its own transaction, with a progress bar."""
    from dosecal.errors import DosecalError

    s = store_of()

    def one(plan_id: str) -> tuple[str, str]:
        try:
            result = s.upgrade(plan_id, who=who_of(who), dry_run=dry_run)
        except DosecalError as exc:
            return "refused", _refused(plan_id, str(exc))
        if not result.changed:
            return "same", ""
        if dry_run:
            return "done", say("store.upgrade.would", id=plan_id, count=len(result.moves))
        record(s, "upgrade", plan_id, who=who)
        return "done", say(
            "store.upgrade.done", id=plan_id, version=result.plan.version, count=len(result.moves)
        )

    ids = [p.id for p in s.plans()]
    done = _bulk(ids, say("store.upgrade.progress"), one)
    key = "store.upgrade.all_would" if dry_run else "store.upgrade.all_done"
    click.echo(
        say(key, changed=done["done"], same=done["same"], failed=done["refused"], total=len(ids)), err=True
    )
    if done["refused"]:
        raise SystemExit(1)


@store.command("remove", epilog="\b\nExample:\n  dosecal store remove 3f9c2a1b7e04")
@click.argument("plan_id")
@with_exit_codes
def store_remove(plan_id: str) -> None:
    """Delete a stored plan and its history; its feed stops answering."""
    s = store_of()
    s.remove(plan_id)
    record(s, "remove", plan_id)
    click.echo(say("store.removed", id=plan_id), err=True)


store.add_command(regimens)  # store regimens: the clinic's own regimens
