"""The command line of the plan store and the feed server: ``dosecal store``, ``db`` and ``serve``.

Kept apart from :mod:`dosecal.cli` so that the file-based commands stay short; it reuses the
same error mapping (``_errors``) and the same adjustment options and parsers as ``dosecal
adjust``, so a stored plan refuses exactly what a plan file refuses.
"""

from __future__ import annotations

import getpass
import logging
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

import click

from dosecal.cli import _errors, _format_of, adjustment_options, main
from dosecal.errors import MissingFeatureError
from dosecal.feedurl import links
from dosecal.output import write_all, write_atomic
from dosecal.overrides import Overrides
from dosecal.render import RenderOptions, render
from dosecal.words import languages, msg, say

if TYPE_CHECKING:
    from types import ModuleType

    from dosecal.store import Store, StoredPlan

P = ParamSpec("P")
R = TypeVar("R")

#: Where feed links point when neither --public-url nor $DOSECAL_PUBLIC_URL says.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"


def _db_option(func: Callable[P, R]) -> Callable[P, R]:
    return click.option(
        "--db",
        metavar="URL",
        envvar="DOSECAL_DB",
        help="The plan store: a SQLite file path or sqlite:///PATH, or postgresql://USER@HOST/DB "
        "(default: $DOSECAL_DB, else ~/.local/share/dosecal/dosecal.db).",
    )(func)


def _who_option(func: Callable[P, R]) -> Callable[P, R]:
    return click.option(
        "--by",
        "who",
        metavar="NAME",
        help="Who records the change, for the history (default: your login name).",
    )(func)


def _public_option(func: Callable[P, R]) -> Callable[P, R]:
    return click.option(
        "--public-url",
        metavar="URL",
        envvar="DOSECAL_PUBLIC_URL",
        default=DEFAULT_PUBLIC_URL,
        show_default=True,
        help="Where phones reach the feed server (behind a reverse proxy: its https URL); "
        "also $DOSECAL_PUBLIC_URL.",
    )(func)


def _outputs_option(func: Callable[P, R]) -> Callable[P, R]:
    return click.option(
        "-o",
        "--output",
        "outputs",
        metavar="PATH",
        multiple=True,
        help="Also write the plan (.html or .pdf: printable, with the feed's QR code; .ics, .txt ...).",
    )(func)


def _who(given: str | None) -> str:
    if given:
        return given
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (a container without a passwd entry)
        return "unknown"


def _server() -> ModuleType:
    """The plan store's module: its libraries (SQLAlchemy, Alembic) come with ``dosecal[server]``."""
    try:
        from dosecal import store
    except ImportError:
        raise MissingFeatureError(msg("error.store.install")) from None
    return store


def _store() -> Store:
    """The store that ``--db`` names (on the group, or through $DOSECAL_DB), schema checked."""
    ctx = click.get_current_context()
    given = ctx.find_object(_Db)
    server = _server()
    store: Store = server.Store(server.database_url(given.url if given else None))
    ctx.call_on_close(store.close)
    return store


class _Db:
    """The ``--db`` given to a group, for its subcommands."""

    def __init__(self, url: str | None) -> None:
        self.url = url


def _write_plan(stored: StoredPlan, outputs: tuple[str, ...], feed_url: str | None) -> None:
    """Render a stored plan into each output; printable ones carry the feed link and its QR code."""
    if not outputs:
        return
    course = stored.course()
    langs = languages(course.plan.language)
    rendered: list[tuple[str, bytes]] = []
    for target in outputs:
        fmt = _format_of(target, None)
        if fmt == "ics":
            data = _server().calendar_of(course)
        else:
            options = RenderOptions(
                lang=langs[0], also=langs[1] if len(langs) > 1 else None, feed_url=feed_url
            )
            data = render(fmt, course, options)
        rendered.append((target, data))
    write_all([(Path(t), d) for t, d in rendered if t != "-"])
    for target, data in rendered:
        if target == "-":
            sys.stdout.buffer.write(data)
            sys.stdout.flush()
        else:
            click.echo(say("cli.wrote", target=target, count=len(course)), err=True)


def _print_links(public_url: str, token: str) -> None:
    https, webcal = links(public_url, token)
    click.echo(say("store.feed_https", url=https))
    click.echo(say("store.feed_webcal", url=webcal))


@main.group("db", epilog="\b\nExample:\n  dosecal db --db dosecal.db upgrade")
@_db_option
def db(db: str | None) -> None:
    """Manage the plan store's database schema."""
    click.get_current_context().obj = _Db(db)


@db.command("upgrade", epilog="\b\nExample:\n  dosecal db upgrade --db /var/lib/dosecal/dosecal.db")
@_errors
def db_upgrade() -> None:
    """Create the plan store's tables, or bring them to this version of dosecal.

    Safe to run again: migrations already applied are skipped. Back the database up first
    (docs/deploy.md).
    """
    given = click.get_current_context().find_object(_Db)
    server = _server()
    url = server.database_url(given.url if given else None)
    revision = server.upgrade(url)
    click.echo(say("db.upgraded", url=server.shown(url), revision=revision), err=True)


@main.group(
    "store",
    epilog="\b\nExamples:\n  dosecal store --db dosecal.db add --plan examples/inotuzumab.plan.toml --label 'bed 12'\n"
    "  dosecal store --db dosecal.db list",
)
@_db_option
def store(db: str | None) -> None:
    """Keep plans in a database and serve each as a calendar feed that follows every change.

    The database is --db, else $DOSECAL_DB, else ~/.local/share/dosecal/dosecal.db; make its
    tables first with 'dosecal db upgrade'.
    """
    click.get_current_context().obj = _Db(db)


@store.command(
    "add", epilog="\b\nExample:\n  dosecal store add --plan examples/inotuzumab.plan.toml -o plan.html"
)
@click.option(
    "--plan", "plan_file", required=True, type=click.Path(path_type=Path), help="The plan file to store."
)
@click.option(
    "--label", metavar="TEXT", help="A label for the clinic (kept in the database, never in a feed)."
)
@_public_option
@_who_option
@_outputs_option
@_errors
def store_add(
    plan_file: Path,
    label: str | None,
    public_url: str,
    who: str | None,
    outputs: tuple[str, ...],
) -> None:
    """Store a plan with a snapshot of its definition; print its id and its feed links.

    The feed link is shown only now (the store keeps a hash of it): print the plan with -o
    plan.html to hand it over as a QR code.
    """
    stored, token = _store().add(plan_file, label=label, who=_who(who))
    click.echo(say("store.added", id=stored.id, version=stored.version))
    _print_links(public_url, token)
    _write_plan(stored, outputs, links(public_url, token)[0])


@store.command("list", epilog="\b\nExample:\n  dosecal store list")
@_errors
def store_list() -> None:
    """List the stored plans: id, schedule, version, feed, label."""
    for p in _store().plans():
        state = say("store.feed_on" if p.feed else "store.feed_off")
        click.echo(f"{p.id}  {p.schedule:<24}  v{p.version:<4} {state:<10} {p.label or ''}".rstrip())


@store.command("show", epilog="\b\nExample:\n  dosecal store show 3f9c2a1b7e04")
@click.argument("plan_id")
@_errors
def store_show(plan_id: str) -> None:
    """Show a stored plan: its facts and the history of its changes (who, when, why)."""
    s = _store()
    p = s.get(plan_id)
    click.echo(say("store.show.plan", id=p.id, version=p.version, schedule=p.schedule, origin=p.origin))
    if p.label:
        click.echo(say("store.show.label", label=p.label))
    click.echo(say("store.show.feed", state=say("store.feed_on" if p.feed else "store.feed_off")))
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
@click.option(
    "--choice", "choices", metavar="ID=VALUE", multiple=True, help="A choice made now (response=cr)."
)
@click.option("--note", metavar="TEXT", help="Why: kept with the adjustment in the plan's history.")
@click.option(
    "--if-version",
    "expect_version",
    type=int,
    metavar="N",
    help="Refuse unless the plan is still at version N (the one you looked at).",
)
@click.option("--dry-run", is_flag=True, help="Check the adjustment and show it, but store nothing.")
@_who_option
@_errors
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
    stored, change = _store().adjust(
        plan_id, Overrides(**given), who=_who(who), expect_version=expect_version, dry_run=dry_run
    )
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
@_errors
def store_export(plan_id: str, definition: bool, output: str) -> None:
    """Write a stored plan's file, history included (or, with --definition, its definition).

    'dosecal generate DEFINITION --plan PLAN --feed' on the two gives the feed's bytes.
    """
    p = _store().get(plan_id)
    data = (p.definition if definition else p.content).encode("utf-8")
    if output == "-":
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    else:
        write_atomic(Path(output), data)


@store.command(
    "print", epilog="\b\nExample:\n  dosecal store print 3f9c2a1b7e04 -o plan.html --feed-url https://…"
)
@click.argument("plan_id")
@click.option(
    "--feed-url", metavar="URL", help="The feed link to print with its QR code (as 'store add' gave it)."
)
@_outputs_option
@_errors
def store_print(plan_id: str, feed_url: str | None, outputs: tuple[str, ...]) -> None:
    """Render a stored plan from its own definition snapshot (.ics is the feed's calendar)."""
    _write_plan(_store().get(plan_id), outputs or ("-",), feed_url)


@store.command("feed", epilog="\b\nExamples:\n  dosecal store feed 3f9c2a1b7e04 --rotate -o plan.html\n"
               "  dosecal store feed 3f9c2a1b7e04 --revoke")  # fmt: skip
@click.argument("plan_id")
@click.option(
    "--rotate", "action", flag_value="rotate", help="Give the feed a new link; the old one stops working."
)
@click.option("--revoke", "action", flag_value="revoke", help="Stop the feed: its link answers 404.")
@_public_option
@_who_option
@_outputs_option
@_errors
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
    s = _store()
    if action == "revoke":
        s.revoke(plan_id, who=_who(who))
        click.echo(say("store.revoked", id=plan_id))
        return
    token = s.rotate(plan_id, who=_who(who))
    _print_links(public_url, token)
    _write_plan(s.get(plan_id), outputs, links(public_url, token)[0])


@store.command("upgrade", epilog="\b\nExample:\n  dosecal store upgrade 3f9c2a1b7e04 --dry-run")
@click.argument("plan_id")
@click.option(
    "--from",
    "source",
    type=click.Path(path_type=Path),
    help="The definition file to apply (default: where the plan's came from).",
)
@click.option("--dry-run", is_flag=True, help="Show what would move, change nothing.")
@_who_option
@_errors
def store_upgrade(plan_id: str, source: Path | None, dry_run: bool, who: str | None) -> None:
    """Apply a newer definition to a stored plan, listing every event that moves.

    A stored plan keeps the definition it was made from: a change to a built-in schedule
    reaches its calendar only through this command.
    """
    result = _store().upgrade(plan_id, who=_who(who), source=source, dry_run=dry_run)
    lang = languages("en")[0]
    for move in result.moves:
        click.echo(lang.text(move.describe()))
    if not result.changed:
        click.echo(say("store.upgrade.same", id=plan_id), err=True)
    elif dry_run:
        click.echo(say("store.upgrade.would", id=plan_id, count=len(result.moves)), err=True)
    else:
        click.echo(
            say("store.upgrade.done", id=plan_id, version=result.plan.version, count=len(result.moves)),
            err=True,
        )


@store.command("remove", epilog="\b\nExample:\n  dosecal store remove 3f9c2a1b7e04")
@click.argument("plan_id")
@_errors
def store_remove(plan_id: str) -> None:
    """Delete a stored plan and its history; its feed stops answering."""
    _store().remove(plan_id)
    click.echo(say("store.removed", id=plan_id), err=True)


@main.command("serve", epilog="\b\nExample:\n  dosecal serve --public-url https://plans.example.org")
@_db_option
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless told)."
)
@click.option(
    "--port", type=int, default=8080, show_default=True, help="Port to listen on (0: any free port)."
)
@_public_option
@click.option("--threads", type=int, default=8, show_default=True, help="Worker threads.")
@click.option(
    "--default-tz",
    metavar="ZONE",
    envvar="DOSECAL_DEFAULT_TZ",
    help="The clinic's time zone, filled in on new plans (default: the computer's); "
    "also $DOSECAL_DEFAULT_TZ.",
)
@click.option(
    "--trust-user-header",
    metavar="HEADER",
    envvar="DOSECAL_TRUST_USER_HEADER",
    help="Take the signed-in nurse's name from this request header (e.g. X-Remote-User), set by "
    "an authenticating reverse proxy. Only when nothing but the proxy can reach this server "
    "(docs/deploy.md).",
)
@_errors
def serve(
    db: str | None,
    host: str,
    port: int,
    public_url: str,
    threads: int,
    default_tz: str | None,
    trust_user_header: str | None,
) -> None:
    """Serve calendar feeds (GET /feeds/TOKEN.ics), the clinic's pages (/plans) and a health check.

    Runs waitress, a production WSGI server. Put it behind an HTTPS reverse proxy and give
    that proxy's URL as --public-url (docs/deploy.md). Nurses sign in with accounts made by
    'dosecal users add'. Feed tokens and plan labels never appear in its log.
    """
    server_module = _server()
    try:
        import waitress

        from dosecal.web import create_app
    except ImportError:
        raise MissingFeatureError(msg("error.store.install")) from None

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the health check's schema look-ups
    tz = None
    if default_tz:
        from dosecal.overrides import bad
        from dosecal.plan import check_zone

        try:
            tz = check_zone(default_tz)
        except ValueError as exc:
            raise bad("--default-tz", str(exc)) from None
    url = server_module.database_url(db)
    s = server_module.Store(url)  # refuses an out-of-date schema before anything listens
    server: Any = waitress.create_server(
        create_app(s, public_url=public_url, default_tz=tz, trust_user_header=trust_user_header or None),
        host=host,
        port=port,
        threads=threads,
        connection_limit=1000,
        ident="dosecal",
    )
    click.echo(
        say(
            "serve.listening",
            url=f"http://{host}:{server.effective_port}",
            db=server_module.shown(url),
            public=public_url,
        ),
        err=True,
    )
    try:
        server.run()  # returns on Ctrl-C and SIGTERM: waitress closes itself and its threads
    finally:
        s.close()
    click.echo(say("serve.stopped"), err=True)


def _accounts() -> Any:
    """The accounts of the store that ``--db`` names."""
    from dosecal.accounts import Accounts

    return Accounts(_store())


def _new_password() -> str:
    """A password from the prompt (typed twice, hidden), or the first line of standard input.

    Never an option: a password in argv shows in ``ps`` and in the shell's history.
    """
    if sys.stdin.isatty():
        value: str = click.prompt(say("users.prompt"), hide_input=True, confirmation_prompt=True)
        return value
    return sys.stdin.readline().rstrip("\r\n")


@main.group(
    "users",
    epilog="\b\nExamples:\n  dosecal users --db dosecal.db add mtremblay\n  dosecal users --db dosecal.db list",
)
@_db_option
def users(db: str | None) -> None:
    """Manage who may sign in to the clinic's web pages ('dosecal serve').

    Passwords are asked at a prompt (or read from the first line of standard input), never
    given as options, and kept as scrypt hashes.
    """
    click.get_current_context().obj = _Db(db)


@users.command("add", epilog="\b\nExample:\n  dosecal users --db dosecal.db add mtremblay")
@click.argument("name")
@_errors
def users_add(name: str) -> None:
    """Make an account NAME; its password is asked for."""
    accounts = _accounts()
    from dosecal.accounts import check_name

    check_name(name)
    accounts.add(name, _new_password())
    click.echo(say("users.added", name=name), err=True)


@users.command("list", epilog="\b\nExample:\n  dosecal users --db dosecal.db list")
@_errors
def users_list() -> None:
    """List the accounts: name and when each was made."""
    for user in _accounts().list():
        click.echo(f"{user.name:<24}{user.created.strftime('%Y-%m-%d %H:%M UTC')}")


@users.command("remove", epilog="\b\nExample:\n  dosecal users --db dosecal.db remove mtremblay")
@click.argument("name")
@_errors
def users_remove(name: str) -> None:
    """Delete the account NAME and end its sessions (plans' history keeps the name)."""
    _accounts().remove(name)
    click.echo(say("users.removed", name=name), err=True)


@users.command("passwd", epilog="\b\nExample:\n  dosecal users --db dosecal.db passwd mtremblay")
@click.argument("name")
@_errors
def users_passwd(name: str) -> None:
    """Set a new password for NAME; every session of NAME is signed out."""
    _accounts().set_password(name, _new_password())
    click.echo(say("users.changed", name=name), err=True)
