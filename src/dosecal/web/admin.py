"""The administrator's pages: accounts, their teams and rights, the audit trail; a plan given to another team.

What ``dosecal users`` and ``dosecal audit`` do on the server, an administrator (a user of the
``admins`` table, who sees every team's plans) does here, through the same library calls and
checks: :class:`~dosecal.service.accounts.Accounts` (names, password rules, sessions ended),
:class:`~dosecal.service.teams.Teams`, :class:`~dosecal.service.audit.Audit`. Each change is a
row of the audit trail, as the command's is: the administrator as who, the account (or, for a
plan, the team) as subject, the client's address as every page records it.

Two refusals are the pages' own: an administrator cannot remove her own account, and the last
administrator can be neither removed nor made an ordinary user (nobody could reach these pages
again; the operator's command line still can).

To anyone else, every /admin address answers 404 exactly as an address that does not exist
(signed out: the sign-in page, as for any page). A change holds from the next request of whoever
it concerns: a session keeps only its id, and each request reads teams and rights anew.

A plan's page offers to give the plan to another team, as ``dosecal store team`` does, to an
administrator (any team) and to a nurse in both teams.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from functools import wraps
from typing import Any, ParamSpec, TypeVar

import sqlalchemy as sa
from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response as BaseResponse

from dosecal.errors import DatabaseBusy, DatabaseUnavailable, StoreError
from dosecal.service.accounts import MIN_PASSWORD, User, check_name, check_new_password
from dosecal.service.audit import Audit
from dosecal.service.records import StoredPlan
from dosecal.service.teams import DEFAULT_TEAM, check_team
from dosecal.web.pages import store, teams
from dosecal.web.security import accounts, sign_in, signed_in, trail
from dosecal.web.wording import page_text
from dosecal.words import Value, msg

P = ParamSpec("P")
R = TypeVar("R")

admin_pages = Blueprint("admin", __name__, template_folder="templates")

#: Audit entries a page of the trail shows.
AUDIT_PAGE = 100


def audit() -> Audit:
    """The audit trail of this server's store."""
    found: Audit = current_app.extensions["dosecal.audit"]
    return found


def is_admin() -> bool:
    """Whether the nurse of this request is an administrator now (read once a request)."""
    if "is_admin" not in g:
        g.is_admin = bool(g.get("user")) and teams().sees_all(g.user)
    return bool(g.is_admin)


def shows_admin() -> bool:
    """Whether the header links to the administrator's pages: as :func:`is_admin`, but never a fault.

    An error page (a database that stopped answering) still shows, without the link.
    """
    try:
        return is_admin()
    except (StoreError, sa.exc.SQLAlchemyError):
        return False


def administrators_only(view: Callable[P, R]) -> Callable[P, R | BaseResponse]:
    """A page for administrators: 404 for any other nurse, the sign-in page when signed out."""

    @wraps(view)
    def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
        if not is_admin():
            abort(404)
        return view(*args, **kwargs)

    return signed_in(wrapper)


def _said(exc: StoreError) -> str:
    """A library error as the page says it: the nurse's language, no command to run."""
    value: Value = exc.args[0] if exc.args else str(exc)
    return page_text(g.lang.text(value), g.lang)


def note(key: str, **values: str) -> None:
    """A notice for the next page shown (after the redirect that follows a change)."""
    session["notice"] = [key, values]


def _done(page: str) -> BaseResponse:
    """After a change, to ``page`` at its notice (not at the form the browser sent, whose anchor it would keep)."""
    return redirect(page + "#notice", code=303)


def take_notice(kind: str) -> Value | None:
    """The notice left by the change just made, once, if it is one of ``kind`` (a message id's start)."""
    found = session.get("notice")
    if not isinstance(found, list) or len(found) != 2 or not str(found[0]).startswith(kind):
        return None
    session.pop("notice")
    key, values = found
    return msg(str(key), **{str(k): str(v) for k, v in dict(values).items()})


@admin_pages.app_context_processor
def _helpers() -> dict[str, Any]:
    return {"shows_admin": shows_admin, "team_move": team_move}


# Accounts


def _account(name: str) -> User:
    """The account ``name``, or 404."""
    found = next((u for u in accounts().list() if u.name == name), None)
    if found is None:
        abort(404)
    return found


def _accounts_page(fields: dict[str, Any], errors: dict[str, list[str]], status: int = 200) -> Any:
    everyone = teams().everyone()
    rows = [
        {
            "user": u,
            "teams": everyone.get(u.name, ([], False))[0],
            "admin": everyone.get(u.name, ([], False))[1],
        }
        for u in accounts().list()
    ]
    return render_template(
        "admin.html",
        rows=rows,
        fields=fields,
        errors=errors,
        known=teams().known(),
        default_team=DEFAULT_TEAM,
        minimum=MIN_PASSWORD,
        notice=take_notice("web.admin."),
    ), status


@admin_pages.get("/admin")
@administrators_only
def accounts_page() -> Any:
    """The accounts, their teams and rights, and the form to add one."""
    return _accounts_page({"name": "", "teams": [], "other_team": "", "admin": False}, {})


def password_errors(password: str, again: str) -> dict[str, list[str]]:
    """The password rules of ``dosecal users`` (typed twice, long enough), by field."""
    errors: dict[str, list[str]] = {}
    try:
        check_new_password(password)
    except StoreError as exc:
        errors["password"] = [_said(exc)]
    if password != again:
        errors["password2"] = [g.lang.text(msg("web.admin.passwords_differ"))]
    return errors


@admin_pages.post("/admin/users")
@administrators_only
def add_account() -> Any:
    """Add an account, as ``dosecal users add NAME --team ... [--admin]``; no team chosen: the clinic's."""
    name = request.form.get("name", "").strip()
    chosen = [t for t in request.form.getlist("team") if t]
    other = request.form.get("other_team", "").strip()
    admin = request.form.get("admin") == "1"
    errors: dict[str, list[str]] = {}
    try:
        check_name(name)
    except StoreError as exc:
        errors["name"] = [_said(exc)]
    try:
        if other:
            check_team(other)
    except StoreError as exc:
        errors["other_team"] = [_said(exc)]
    for team in chosen:
        try:
            check_team(team)
        except StoreError:
            abort(400)  # not one the form offered
    errors |= password_errors(request.form.get("password", ""), request.form.get("password2", ""))
    if not errors:
        wanted = list(dict.fromkeys([*chosen, *([other] if other else [])])) or [DEFAULT_TEAM]
        try:
            accounts().add(name, request.form["password"], teams=wanted, admin=admin)
        except (DatabaseBusy, DatabaseUnavailable):
            raise
        except StoreError as exc:  # the name is taken
            errors["name"] = [_said(exc)]
        else:
            trail("user-add", subject=name)
            note("web.admin.added", name=name)
            return _done(url_for("admin.account_page", name=name))
    fields = {"name": name, "teams": chosen, "other_team": other, "admin": admin}
    return _accounts_page(fields, errors, 422)


def _account_page(name: str, errors: dict[str, list[str]], status: int = 200, join_team: str = "") -> Any:
    user = _account(name)
    mine = teams().teams_of(name)
    admin = teams().sees_all(name)
    return render_template(
        "admin_user.html",
        account=user,
        teams=mine,
        admin=admin,
        last_admin=admin and teams().administrators() == [name],
        own=name == g.user,
        others=[t for t in teams().known() if t not in mine],
        errors=errors,
        join_team=join_team,
        minimum=MIN_PASSWORD,
        notice=take_notice("web.admin."),
    ), status


@admin_pages.get("/admin/users/<name>")
@administrators_only
def account_page(name: str) -> Any:
    """One account: its teams (join, leave), its rights, a new password, removing it."""
    return _account_page(name, {})


def change_password(name: str, password: str) -> None:
    """Set ``name``'s password, as ``dosecal users passwd``: every session of the account ends; audited.

    Changed by its own holder (an administrator's own account, or anyone's on /account), this
    browser gets a new session, so that she stays signed in here while her other sessions end.

    Raises:
        StoreError: when there is no such account (removed meanwhile), or the password is short.
    """
    accounts().set_password(name, password)
    trail("user-password", subject=name)
    if name == g.user:
        sign_in(name)


@admin_pages.post("/admin/users/<name>/password")
@administrators_only
def set_password(name: str) -> Any:
    """A new password, as ``dosecal users passwd``: every session of the account ends.

    For her own account, the administrator gets a new session, so that she stays signed in here.
    """
    _account(name)
    password = request.form.get("password", "")
    errors = password_errors(password, request.form.get("password2", ""))
    if errors:
        return _account_page(name, errors, 422)
    try:
        change_password(name, password)
    except (DatabaseBusy, DatabaseUnavailable):
        raise
    except StoreError:  # removed meanwhile
        abort(404)
    note("web.admin.password_set", name=name)
    return _done(url_for("admin.account_page", name=name))


@admin_pages.post("/admin/users/<name>/teams")
@administrators_only
def change_teams(name: str) -> Any:
    """Join or leave a team, as ``dosecal users teams NAME --join/--leave TEAM``."""
    _account(name)
    team = request.form.get("team", "").strip()
    if request.form.get("action") == "leave":
        if team not in teams().teams_of(name):
            return _done(url_for("admin.account_page", name=name))  # left already
        teams().leave(name, team)
        done = "web.admin.left"
    else:
        try:
            teams().join(name, team)
        except (DatabaseBusy, DatabaseUnavailable):
            raise
        except StoreError as exc:
            return _account_page(name, {"join_team": [_said(exc)]}, 422, join_team=team)
        done = "web.admin.joined"
    trail("user-teams", subject=name)
    note(done, name=name, team=team)
    return _done(url_for("admin.account_page", name=name))


@admin_pages.post("/admin/users/<name>/admin")
@administrators_only
def change_rights(name: str) -> Any:
    """Make an administrator, or an ordinary user again (never the last administrator)."""
    _account(name)
    admin = request.form.get("admin") == "1"
    try:
        teams().make_admin(name, admin, keep_one=True)
    except (DatabaseBusy, DatabaseUnavailable):
        raise
    except StoreError as exc:  # the last administrator
        return _account_page(name, {"admin": [_said(exc)]}, 409)
    trail("user-teams", subject=name)
    note("web.admin.made_admin" if admin else "web.admin.unmade_admin", name=name)
    if name == g.user and not admin:  # these pages are no longer hers
        return redirect(url_for("plans.plans"), code=303)
    return _done(url_for("admin.account_page", name=name))


@admin_pages.post("/admin/users/<name>/remove")
@administrators_only
def remove_account(name: str) -> Any:
    """Remove an account once confirmed, as ``dosecal users remove``: never one's own, never the last administrator's."""
    _account(name)
    if name == g.user:
        return _account_page(name, {"remove": [g.lang.text(msg("web.admin.own_account"))]}, 409)
    if request.form.get("confirm") != "1":
        return render_template("admin_confirm.html", name=name)
    try:
        accounts().remove(name, keep_admin=True)
    except (DatabaseBusy, DatabaseUnavailable):
        raise
    except StoreError as exc:  # the last administrator (or removed meanwhile: then 404)
        if name not in {u.name for u in accounts().list()}:
            abort(404)
        return _account_page(name, {"remove": [_said(exc)]}, 409)
    trail("user-remove", subject=name)
    note("web.admin.removed", name=name)
    return _done(url_for("admin.accounts_page"))


# The audit trail


def _audit_cursor(value: str | None) -> tuple[datetime, int] | None:
    """Where a page of the trail starts (the last entry shown before: time and row), if valid."""
    moment, _, row = (value or "").partition("~")
    try:
        when = datetime.fromisoformat(moment)
    except ValueError:
        return None
    if when.tzinfo is None or not row.isdigit():
        return None
    return when, int(row)


#: An audit action in words, by its code (``dosecal audit`` prints the codes: each row keeps its
#: code as a tooltip, so that the page and the command line can be compared).
_ACTION_WORDS = {
    "sign-in": "web.audit.do.sign_in",
    "sign-out": "web.audit.do.sign_out",
    "view": "web.audit.do.view",
    "print": "web.audit.do.print",
    "download": "web.audit.do.download",
    "feed-link": "web.audit.do.feed_link",
    "add": "web.audit.do.add",
    "adjust": "web.audit.do.adjust",
    "archive": "web.audit.do.archive",
    "export": "web.audit.do.export",
    "upgrade": "web.audit.do.upgrade",
    "remove": "web.audit.do.remove",
    "feed-revoke": "web.audit.do.feed_revoke",
    "team": "web.audit.do.team",
    "user-add": "web.audit.do.user_add",
    "user-remove": "web.audit.do.user_remove",
    "user-password": "web.audit.do.user_password",
    "user-teams": "web.audit.do.user_teams",
    "regimen-import": "web.audit.do.regimen_import",
}


def action_words(code: str) -> Value:
    """An audit entry's action in the administrator's words ("Downloaded (CSV)"); an unknown code as is."""
    kind, _, fmt = code.partition(":")
    key = _ACTION_WORDS.get(kind)
    if key is None:
        return code
    return msg(key, fmt=fmt.upper()) if kind == "download" else msg(key)


@admin_pages.get("/admin/audit")
@administrators_only
def audit_page() -> Any:
    """The audit trail, newest first, a page at a time; only an account's or a plan's entries if asked.

    The columns of ``dosecal audit``: when, who, what, which plan, from where, about whom or what.
    An account's entries are what it did (``dosecal audit --user``) and the changes made to it.
    """
    who = request.args.get("user", "").strip()[:64]
    plan_id = request.args.get("plan", "").strip()[:64]
    after = _audit_cursor(request.args.get("before"))
    entries, more = audit().latest(
        plan_id=plan_id or None, account=who or None, before=after, size=AUDIT_PAGE
    )
    older = None
    if more is not None:
        older = url_for(
            "admin.audit_page",
            user=who or None,
            plan=plan_id or None,
            before=f"{more[0].isoformat()}~{more[1]}",
        )
    return render_template(
        "admin_audit.html",
        entries=entries,
        who=who,
        plan_id=plan_id,
        older=older,
        paged=after is not None,
        page_size=AUDIT_PAGE,
        action_words=action_words,
    )


# A plan given to another team


def _move_choices(plan_id: str) -> tuple[str, list[str]]:
    """The plan's team and those this nurse may give it to: any, for an administrator; else hers."""
    current = teams().team_of(plan_id)
    if is_admin():
        offered = teams().known()
    else:
        mine = teams().teams_of(g.user)
        offered = mine if current in mine else []
    return current, [t for t in offered if t != current]


def team_move(plan: StoredPlan) -> dict[str, Any] | None:
    """What the plan page's Team card shows, or ``None`` when this nurse has no other team to offer."""
    current, options = _move_choices(plan.id)
    if not options:
        return None
    return {"current": current, "options": options, "notice": take_notice("web.team.")}


def _openable(plan_id: str) -> StoredPlan:
    """The plan, if this nurse may open it; else 404 as for a plan that does not exist."""
    try:
        found = store().get(plan_id)
    except (DatabaseBusy, DatabaseUnavailable):
        raise
    except StoreError:
        abort(404)
    if not teams().may_open(g.user, found.id):
        abort(404)
    return found


@admin_pages.post("/plans/<plan_id>/team")
@signed_in
def move_plan(plan_id: str) -> Any:
    """Give the plan to another team once confirmed, as ``dosecal store team ID TEAM``."""
    p = _openable(plan_id)
    current, options = _move_choices(p.id)
    if not options:
        abort(404)
    target = request.form.get("team", "")
    if target == current:
        return redirect(url_for("plans.plan_page", plan_id=p.id) + "#team", code=303)
    error = None if target in options else g.lang.text(msg("web.team.pick"))
    if error is not None or request.form.get("confirm") != "1":
        return render_template(
            "plan_team.html",
            plan=p,
            title=g.lang.content(p.course().schedule.title),
            current=current,
            target=target if error is None else "",
            options=options,
            error=error,
        ), (422 if error else 200)
    teams().assign(p.id, target)
    trail("team", p.id, subject=target)
    note("web.team.moved", team=target)
    return redirect(url_for("plans.plan_page", plan_id=p.id) + "#team", code=303)
