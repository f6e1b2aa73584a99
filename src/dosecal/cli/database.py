"""What the commands on the plan store share: the ``--db`` and other options, the store, writing a stored plan.

The store's libraries (SQLAlchemy, Alembic) come with ``dosecal[server]``; they are imported when
a command first uses the store, never by the commands that work on files.
"""

from __future__ import annotations

import getpass
import sys
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, ParamSpec, TypeVar

import click

from dosecal.cli.common import format_of
from dosecal.cli.files import write_all
from dosecal.errors import MissingFeatureError
from dosecal.render import RenderOptions, render
from dosecal.render.feedlink import links
from dosecal.words import languages, msg, say

if TYPE_CHECKING:
    from dosecal.service.records import StoredPlan
    from dosecal.service.store import Store

P = ParamSpec("P")
R = TypeVar("R")

#: Where feed links point when neither --public-url nor $DOSECAL_PUBLIC_URL says.
DEFAULT_PUBLIC_URL = "http://127.0.0.1:8080"


def db_option(func: Callable[P, R]) -> Callable[P, R]:
    """``--db``: the plan store (a SQLite path or a database URL), also from $DOSECAL_DB."""
    return click.option(
        "--db",
        metavar="URL",
        envvar="DOSECAL_DB",
        help="The plan store: a SQLite file path or sqlite:///PATH, or postgresql://USER@HOST/DB "
        "(default: $DOSECAL_DB, else ~/.local/share/dosecal/dosecal.db).",
    )(func)


def who_option(func: Callable[P, R]) -> Callable[P, R]:
    """``--by``: who records a change, for the plan's history."""
    return click.option(
        "--by",
        "who",
        metavar="NAME",
        help="Who records the change, for the history (default: your login name).",
    )(func)


def public_option(func: Callable[P, R]) -> Callable[P, R]:
    """``--public-url``: where phones reach the feed server."""
    return click.option(
        "--public-url",
        metavar="URL",
        envvar="DOSECAL_PUBLIC_URL",
        default=DEFAULT_PUBLIC_URL,
        show_default=True,
        help="Where phones reach the feed server (behind a reverse proxy: its https URL); "
        "also $DOSECAL_PUBLIC_URL.",
    )(func)


def outputs_option(func: Callable[P, R]) -> Callable[P, R]:
    """``-o``: files a stored plan is also written to."""
    return click.option(
        "-o",
        "--output",
        "outputs",
        metavar="PATH",
        multiple=True,
        help="Also write the plan (.html or .pdf: printable, with the feed's QR code; .ics, .txt ...).",
    )(func)


def who_of(given: str | None) -> str:
    """Who records a change: ``--by``, else the login name, else "unknown"."""
    if given:
        return given
    try:
        return getpass.getuser()
    except (OSError, KeyError):  # no login name (a container without a passwd entry)
        return "unknown"


def require_server() -> None:
    """Import the plan store, or say how to install it: SQLAlchemy and Alembic come with ``dosecal[server]``.

    Call it before importing from :mod:`dosecal.service`, so that a missing extra is one line
    that says what to install, not a traceback.
    """
    try:
        import dosecal.service.store  # noqa: F401 (imported to find out whether it can be)
    except ImportError:
        raise MissingFeatureError(msg("error.store.install")) from None


def store_of() -> Store:
    """The store that ``--db`` names (on the group, or through $DOSECAL_DB), schema checked."""
    ctx = click.get_current_context()
    given = ctx.find_object(Db)
    require_server()
    from dosecal.service.database import database_url
    from dosecal.service.store import Store

    store = Store(database_url(given.url if given else None))
    ctx.call_on_close(store.close)
    return store


def record(
    store: Store,
    action: str,
    plan_id: str | None = None,
    *,
    who: str | None = None,
    subject: str | None = None,
) -> None:
    """Put a command's action in the audit trail, as the pages put theirs (client ``cli``)."""
    from dosecal.service.audit import CLI_CLIENT, Audit

    trail = Audit(store.engine)
    trail.record(action, user=who_of(who), plan_id=plan_id, client=CLI_CLIENT, subject=subject)
    if trail.pending():  # a view kept back by a busy database: a command waits for it, then exits
        trail.flush()


class Db:
    """The ``--db`` given to a group, for its subcommands."""

    def __init__(self, url: str | None) -> None:
        self.url = url


def write_plan(stored: StoredPlan, outputs: tuple[str, ...], feed_url: str | None) -> None:
    """Render a stored plan into each output; printable ones carry the feed link and its QR code."""
    if not outputs:
        return
    course = stored.course()
    langs = languages(course.plan.language)
    rendered: list[tuple[str, bytes]] = []
    for target in outputs:
        fmt = format_of(target, None)
        if fmt == "ics":
            require_server()
            from dosecal.service.courses import calendar_of

            data = calendar_of(course)
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


def print_links(public_url: str, token: str) -> None:
    """Print a feed's https and webcal links, one a line."""
    https, webcal = links(public_url, token)
    click.echo(say("store.feed_https", url=https))
    click.echo(say("store.feed_webcal", url=webcal))
