"""``dosecal serve``: the feed server and the clinic's pages, under waitress."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

import click

from dosecal.cli.common import with_exit_codes
from dosecal.cli.database import db_option, public_option, require_server
from dosecal.errors import MissingFeatureError
from dosecal.words import msg, say

if TYPE_CHECKING:
    from dosecal.service.audit import Audit

#: The largest request body waitress reads: a clinic form is a few KB.
MAX_BODY_BYTES = 1024 * 1024


#: How often the server moves on the plans list's stored events, and how many plans each time:
#: 100 plans a minute keeps up with 100,000 plans whose twelve stored events last a week or more.
MOVE_ON_SECONDS = 60
MOVE_ON_PLANS = 100


@click.command("serve", epilog="\b\nExample:\n  dosecal serve --public-url https://plans.example.org")
@db_option
@click.option(
    "--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback unless told)."
)
@click.option(
    "--port", type=int, default=8080, show_default=True, help="Port to listen on (0: any free port)."
)
@public_option
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
@click.option(
    "--trust-proxy",
    is_flag=True,
    envvar="DOSECAL_TRUST_PROXY",
    help="The audit trail takes each client's address from X-Forwarded-For, as set by the reverse "
    "proxy in front (only when nothing but the proxy can reach this server).",
)
@click.option(
    "--signin-per-minute",
    type=click.IntRange(1, 100_000),
    envvar="DOSECAL_SIGNIN_PER_MINUTE",
    help="Sign-in attempts one client address may make at once, then each minute (default 60); "
    "more are refused (429) before any password is checked. Feeds are never limited "
    "(docs/deploy.md).",
)
@click.option(
    "--audit-days",
    type=click.IntRange(1, 36500),
    default=3650,
    show_default=True,
    envvar="DOSECAL_AUDIT_DAYS",
    help="Keep the audit trail this many days; older entries are deleted at start.",
)
@click.option(
    "--pdf-ahead/--no-pdf-ahead",
    default=True,
    show_default=True,
    envvar="DOSECAL_PDF_AHEAD",
    help="Make the PDF of each changed plan in the background, so that Download PDF answers at once.",
)
@with_exit_codes
def serve(
    db: str | None,
    host: str,
    port: int,
    public_url: str,
    threads: int,
    default_tz: str | None,
    trust_user_header: str | None,
    trust_proxy: bool,
    signin_per_minute: int | None,
    audit_days: int,
    pdf_ahead: bool,
) -> None:
    """Serve calendar feeds (GET /feeds/TOKEN.ics), the clinic's pages (/plans) and a health check.

    Runs waitress, a production WSGI server. Put it behind an HTTPS reverse proxy and give
    that proxy's URL as --public-url (docs/deploy.md). Nurses sign in with accounts made by
    'dosecal users add'. Feed tokens and plan labels never appear in its log.
    """
    require_server()
    from dosecal.service.database import database_url, shown
    from dosecal.service.store import Store

    try:
        import waitress

        from dosecal.web import create_app
    except ImportError:
        raise MissingFeatureError(msg("error.store.install")) from None

    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)  # the health check's schema look-ups
    tz = None
    if default_tz:
        from dosecal.inputs.overrides import bad
        from dosecal.model.zones import check_zone

        try:
            tz = check_zone(default_tz)
        except ValueError as exc:
            raise bad("--default-tz", str(exc)) from None
    url = database_url(db)
    s = Store(url)  # refuses an out-of-date schema before anything listens
    from dosecal.service.audit import Audit
    from dosecal.web.limits import SIGNIN_PER_MINUTE, allow_holds

    Audit(s.engine).purge(audit_days)
    from dosecal.service.pdfcache import PdfCache, PdfWorker

    pdfs = PdfCache(s, public_url=public_url)
    app = create_app(
        s,
        public_url=public_url,
        default_tz=tz,
        trust_user_header=trust_user_header or None,
        trust_proxy=trust_proxy,
        signin_per_minute=signin_per_minute or SIGNIN_PER_MINUTE,
        pdf_cache=pdfs,
    )
    server: Any = waitress.create_server(
        app,
        host=host,
        port=port,
        threads=threads,
        connection_limit=1000,
        # Refused with 413 from the headers, before a byte of the body is read or spooled to
        # disk (waitress's default is 1 GiB); the pages refuse more than 256 KB themselves.
        max_request_body_size=MAX_BODY_BYTES,
        # waitress deletes X-Forwarded-For before the app sees it unless told otherwise: with
        # --trust-proxy the audit trail and the sign-in limit need the entry the proxy added.
        clear_untrusted_proxy_headers=not trust_proxy,
        ident="dosecal",
    )
    allow_holds(server)  # a refused sign-in is answered a second later, holding no worker thread
    click.echo(
        say(
            "serve.listening",
            url=f"http://{host}:{server.effective_port}",
            db=shown(url),
            public=public_url,
        ),
        err=True,
    )
    from dosecal.inputs.overrides import computer_zone
    from dosecal.model.zones import UTC_NAMES

    zone = tz or computer_zone()
    if zone and (tz or zone not in UTC_NAMES):
        click.echo(say("serve.zone", zone=zone), err=True)
    else:  # a host on UTC gives no default: every new plan asks for the patient's zone
        click.echo(say("serve.no_zone"), err=True)
    from dosecal.service.background import Periodic

    # Plans whose stored next events ran out are moved on between requests, so that the
    # plans list rarely has one to expand (dosecal.service.listing).
    mover = Periodic("plans-list", MOVE_ON_SECONDS, lambda: s.move_on(MOVE_ON_PLANS)).start()
    # PDFs of changed plans made ahead of "Download PDF", one at a time in a niced child process.
    worker = PdfWorker(pdfs) if pdf_ahead else None
    if worker is not None:
        worker.start()
    try:
        server.run()  # returns on Ctrl-C and SIGTERM: waitress closes itself and its threads
    finally:
        if worker is not None:
            worker.stop()
        mover.stop()
        _flush_audit(app.extensions["dosecal.audit"])
        s.close()
    click.echo(say("serve.stopped"), err=True)


def _flush_audit(audit: Audit) -> None:
    """Write the audit entries of pages seen while the database could not take them, before stopping.

    Still refused (the database is down), they are named in the log, which is then the only
    record of them: who saw which plan stays known.
    """
    from dosecal.errors import DatabaseBusy, DatabaseUnavailable

    try:
        audit.flush()
    except (DatabaseBusy, DatabaseUnavailable) as exc:
        for entry in audit.pending():
            logging.getLogger("dosecal.audit").error("audit entry not written (%s): %s", exc, entry)
