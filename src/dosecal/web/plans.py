"""The plan pages: the plans list, a new plan, a plan (preview, downloads, feed) and adjusting it.

The pages add no scheduling logic: a plan is made by :mod:`dosecal.web.forms` through the
command line's own checks and stored with :meth:`Store.add_text`; an adjustment is
:meth:`Store.adjust` (first with ``dry_run``, to show what moves, then for real with the version
the nurse saw). What every page shares (the words, sign-in, errors) is :mod:`dosecal.web.pages`.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
import re
import secrets
from datetime import datetime
from pathlib import PurePath
from typing import Any

import segno
from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from dosecal.errors import (
    ConflictError,
    DatabaseBusy,
    DatabaseUnavailable,
    DefinitionError,
    InputFileError,
    MissingFeatureError,
    StoreError,
    UnknownScheduleError,
)
from dosecal.inputs import definitions, planfile
from dosecal.model.course import Course
from dosecal.model.plan import CONTACTS, Plan
from dosecal.model.rules import Infusion
from dosecal.model.schedule import BAG_CHOICE, Schedule
from dosecal.render import RenderOptions, render
from dosecal.render.describe import describe
from dosecal.render.feedlink import links
from dosecal.service.courses import calendar_of, course_of, describe_withdrawn
from dosecal.service.pdfcache import PdfCache
from dosecal.service.preview import preview as preview_of
from dosecal.service.records import Change, StoredPlan
from dosecal.service.regimens import may_name
from dosecal.service.teams import DEFAULT_TEAM
from dosecal.web import forms
from dosecal.web.logs import redact
from dosecal.web.pages import default_tz, error_links, store, teams
from dosecal.web.security import PLAN_CSP, signed_in, trail
from dosecal.web.wording import for_page, page_text, without_choices
from dosecal.words import ENGLISH, LANGUAGE_CHOICES, Language, Msg, Value, msg

plans_pages = Blueprint("plans", __name__, template_folder="templates")

log = logging.getLogger("dosecal.web")


#: Download formats: extension, renderer, media type.
DOWNLOADS = {
    "ics": "text/calendar; charset=utf-8",
    "pdf": "application/pdf",
    "csv": "text/csv; charset=utf-8",
    "html": "text/html; charset=utf-8",
    # FHIR's own media type for its JSON (FHIR R4, http.html#mime-type).
    "fhir": "application/fhir+json; charset=utf-8",
}

#: A format's file suffix where it is not the format's name: a FHIR Bundle is JSON, plan.fhir.json
#: (as ``dosecal generate -o plan.fhir.json`` chooses it).
SUFFIXES = {"fhir": "fhir.json"}


# The plans list

#: Plans a page of the list shows.
PAGE_SIZE = 50


def _cursor(value: str | None) -> tuple[datetime, str] | None:
    """The ``after`` of a list page's "More plans" link (its last row's change and id), if valid."""
    moment, _, plan_id = (value or "").partition("~")
    try:
        when = datetime.fromisoformat(moment)
    except ValueError:
        return None
    if when.tzinfo is None or not plan_id.isalnum():
        return None
    return when, plan_id


@plans_pages.get("/plans")
@signed_in
def plans() -> str:
    """A page of plans, newest change first, found by the words searched (label, schedule, id).

    What each row shows was stored when its plan was written (:mod:`dosecal.service.listing`):
    no plan is expanded to show the list.
    """
    query = request.args.get("q", "").strip()
    archived = request.args.get("archived") == "1"
    after = _cursor(request.args.get("after"))
    mine = None if teams().sees_all(g.user) else teams().teams_of(g.user)
    page = store().page(archived=archived, teams=mine, query=query, after=after, size=PAGE_SIZE)
    rows = []
    local = store().regimens.titles() if page.plans else {}
    for p in page.plans:
        builtin = _builtins().get(p.schedule)
        # A plan made on the command line from a definition file names its path: the list shows
        # the file's name only (no folder of the server's disk on a nurse's page).
        title = (
            g.lang.content(builtin.title)
            if builtin is not None
            else local.get(p.schedule) or PurePath(p.schedule).name
        )
        rows.append(
            {"plan": p, "title": title, "next": p.next.words(g.lang), "visit": p.next.words(g.lang, "visit")}
        )
    more = None
    if page.after is not None:
        more = url_for(
            "plans.plans",
            q=query or None,
            archived="1" if archived else None,
            after=f"{page.after[0].isoformat()}~{page.after[1]}",
        )
    return render_template(
        "plans.html",
        rows=rows,
        query=query,
        archived=archived,
        more=more,
        paged=after is not None,
        page_size=PAGE_SIZE,
    )


# A new plan


@functools.cache
def _builtins() -> dict[str, Schedule]:
    """The built-in schedules by id, read once: they are part of the installed package.

    (Read for every row, they made the plans list of 200 plans take 275 ms instead of 9: benchmarks/web.py.)
    """
    return {i: definitions.resolve(i) for i in definitions.builtin_ids()}


#: A one-time form key as the new plan form carries it.
_ONCE = re.compile(r"[A-Za-z0-9_-]{16,64}")


def _once_id(once: str) -> str | None:
    """The id of the plan a new plan form with this one-time key makes (``None``: no valid key).

    Why the id is derived from the key: a double click sends the form twice before the first
    answer arrives, so a mark in the session cookie would come too late (both posts carry the
    cookie as it was), and a mark in one process's memory would miss a post answered by another
    server. The plan's id is the database's primary key, so deriving it from the key makes the
    database itself refuse a second plan from one form, in one transaction, on SQLite and
    PostgreSQL alike, with no new table. The id is an HMAC of the key and the nurse's name
    under the app's secret: nobody can choose an id, and another nurse's key never leads to
    her plan.
    """
    if not _ONCE.fullmatch(once):
        return None
    key = current_app.secret_key
    secret = key.encode() if isinstance(key, str) else bytes(key or b"")
    mac = hmac.new(secret, f"new-plan\x00{g.user}\x00{once}".encode(), hashlib.sha256)
    return mac.hexdigest()[:12]


def _made_by_this_form(plan_id: str | None) -> bool:
    """Whether the plan this form's key makes exists already, made by this nurse."""
    if plan_id is None:
        return False
    try:
        history = store().history(plan_id)
    except (DatabaseBusy, DatabaseUnavailable):
        raise
    except StoreError:
        return False
    return bool(history) and history[0].action == "add" and history[0].who == g.user


@plans_pages.route("/plans/new", methods=["GET", "POST"])
@signed_in
def new_plan() -> Any:
    """Step 1: pick a schedule (links, no script needed); step 2: the plan form with its defaults.

    The schedules are the built-ins and the clinic's own regimens (:mod:`dosecal.service.regimens`),
    each its current version. A regimen's form carries the version it shows, and the plan is made
    of that version: one imported while the form was open shows the form again, with the new one.

    The form carries a one-time key (``once``): sent again, by a double click or Back and
    resend, it leads to the plan it made the first time, which says so (see :func:`_once_id`).
    """
    ident = request.values.get("schedule", "")
    local = None
    if ident in _builtins():
        schedule = _builtins()[ident]
    else:
        local = store().regimens.find(ident) if may_name(ident) else None
        if local is None:
            return render_template(
                "pick.html", schedules=list(_builtins().values()), local=store().regimens.current()
            )
        schedule = local.schedule()
    fields = forms.NewPlan(
        schedule=ident, tz=default_tz(), times=forms.default_times(schedule), lang=g.lang.code
    )
    errors: dict[str, list[Value]] = {}
    once = secrets.token_urlsafe(18)
    if request.method == "POST":
        posted = request.form.get("once", "")
        made = _once_id(posted)
        if made is not None:
            once = posted  # a form shown again with its errors keeps its key
        if _made_by_this_form(made):
            return redirect(url_for("plans.plan_page", plan_id=made, sent="again"), code=303)
        fields = forms.NewPlan.from_form(schedule, request.form, default_lang=g.lang.code)
        seen = request.form.get("regimen_version", "")
        if local is not None and seen != str(local.version):
            # A new version was imported while the form was open: the plan is made of the version
            # the nurse sees, so the form is shown again with it, her fields kept.
            checked: tuple[Schedule, Plan] | dict[str, list[Value]] = {
                "form": [msg("web.new.regimen_changed", version=local.version)]
            }
        else:
            checked = fields.check(schedule)
        if isinstance(checked, dict):
            errors = checked
        else:
            _, plan = checked
            try:
                stored, _ = store().add_text(
                    forms.plan_toml(plan),
                    source="<web form>",
                    label=fields.label or None,
                    who=g.user,
                    plan_id=made,
                    regimen_version=local.version if local is not None else None,
                )
            except ConflictError:
                if not _made_by_this_form(made):
                    raise
                return redirect(url_for("plans.plan_page", plan_id=made, sent="again"), code=303)
            except InputFileError as exc:
                errors = forms.errors_of(exc)
            else:
                mine = teams().teams_of(g.user)
                asked = request.form.get("team", "")
                # One of her teams, as chosen (a form posted with another is given her first).
                teams().assign(stored.id, asked if asked in mine else mine[0] if mine else DEFAULT_TEAM)
                trail("add", stored.id)
                return redirect(url_for("plans.plan_page", plan_id=stored.id), code=303)
    errors = worded(errors, schedule)
    first = {
        "times": next((f"time.{a.id}" for a in schedule.agents.values() if a.times), "times"),
        "choices": next((f"choice.{c}" for c in schedule.choices), "choices"),
    }
    return render_template(
        "new.html",
        links=error_links(errors, first),
        schedule=schedule,
        local=local,
        shown=page_text(without_choices(describe(schedule, g.lang), g.lang), g.lang, schedule),
        notes={
            c.id: page_text(g.lang.content(c.note), g.lang, schedule)
            for c in schedule.choices.values()
            if c.note
        },
        once=once,
        fields=fields,
        errors=errors,
        my_teams=teams().teams_of(g.user),
        chosen_team=request.form.get("team", ""),
        body_size=forms.uses_body_size(schedule, local.definition if local is not None else None),
        asks_cycles=forms.asks_cycles(schedule),
        asks_until=forms.asks_until(schedule),
        until_hint=forms.until_hint(schedule),
        contacts=[k for k in CONTACTS if k != "bag_change" or BAG_CHOICE in schedule.choices],
        languages=LANGUAGE_CHOICES,
    ), (422 if errors else 200)


# One plan


def _feed_url(plan_id: str) -> str | None:
    """The plan's feed link in force, for the page and every printout; ``None`` when there is none to show.

    Read from the store each time (any nurse, any server, after any "New link"), so that a
    printout never carries a link or QR code that no longer opens the feed.
    """
    link = store().feed_link(plan_id)
    return links(current_app.config["DOSECAL_PUBLIC_URL"], link.token)[0] if link.token else None


def pdf_cache() -> PdfCache:
    """This server's PDF cache (shared through the database with every other server)."""
    found: PdfCache = current_app.extensions["dosecal.pdf_cache"]
    return found


def _plan_or_404(plan_id: str) -> StoredPlan:
    """The plan, if this nurse may open it: another team's plan is answered as one that does not exist."""
    try:
        p = store().get(plan_id)
    except (DatabaseBusy, DatabaseUnavailable):
        raise  # a database that does not answer is a 503, never "no such plan"
    except StoreError:
        abort(404)
    if not teams().may_open(g.user, p.id):
        abort(404)
    return p


def history_words(course: Course, history: list[Change], lang: Language) -> dict[int, str]:
    """Each adjustment change's words in ``lang``, by the plan version it made.

    The store keeps a change's words in English (``dosecal store show`` prints them). The
    adjustments themselves are in the plan file, in the order they were recorded, so each
    change's are found again by their English words and said anew in the nurse's language.
    A change whose words no longer match (a definition upgraded since) keeps its English.
    """
    made = list(course.plan.adjustments)
    english = [ENGLISH.text(a.describe(course.schedule)) for a in made]
    found: dict[int, str] = {}
    at = 0
    for change in history:
        if change.action != "adjust":
            continue
        for k in range(1, len(made) - at + 1):
            if "; ".join(english[at : at + k]) == change.detail:
                found[change.version] = "; ".join(
                    lang.text(a.describe(course.schedule)) for a in made[at : at + k]
                )
                at += k
                break
    return found


@plans_pages.get("/plans/<plan_id>")
@signed_in
def plan_page(plan_id: str) -> str:
    """The plan: preview, downloads, print, feed link and QR code, history."""
    p = _plan_or_404(plan_id)
    course = p.course()  # once: the title and the history's words both need it
    history = store().history(plan_id)
    feed = _feed_url(plan_id)
    trail("view", plan_id, also=("feed-link",) if feed else ())
    qr = segno.make(feed, error="m").svg_data_uri(scale=4, border=2) if feed else None
    webcal = links(current_app.config["DOSECAL_PUBLIC_URL"], feed.rsplit("/", 1)[1][:-4])[1] if feed else None
    return render_template(
        "plan.html",
        plan=p,
        title=g.lang.content(course.schedule.title),
        feed=feed,
        webcal=webcal,
        qr=qr,
        history=list(reversed(history)),
        details=history_words(course, history, g.lang),
        rotate_label="web.feed.rotate" if p.feed else "web.feed.start",
        other_action="web.history.other",
        saved=_saved_notice(p),
        twice=request.args.get("twice") == "1",
        upgraded_twice=request.args.get("twice") == "upgrade",
        sent_again=request.args.get("sent") == "again",
        definition=_definition_news(p),
    )


def _definition_news(plan: StoredPlan) -> str | None:
    """What the plan page says of the definition at the plan's origin.

    ``newer``: it differs from the plan's snapshot (the comparison ``store upgrade`` makes) and
    reads: the page offers to review the upgrade. ``unreadable``: it cannot be read, or has
    problems: the page says so in a line (the problems go to the log, not to the nurse).
    ``None``: the same definition, or an archived plan (which no longer changes).
    """
    if plan.archived is not None:
        return None
    try:
        return "newer" if store().newer_definition(plan) else None
    except (UnknownScheduleError, DefinitionError) as exc:
        _warn_once(plan.id, redact(str(exc)))
        return "unreadable"


#: The unreadable definitions already logged, by plan and reason (bounded: oldest forgotten).
_warned: dict[tuple[str, str], None] = {}


def _warn_once(plan_id: str, reason: str) -> None:
    """Log a plan's unreadable definition once per reason, not at every view of its page.

    The reason is already one escaped line (:func:`dosecal.web.logs.redact`); a new reason (the
    file changed again) is logged again.
    """
    if (plan_id, reason) in _warned:
        return
    _warned[(plan_id, reason)] = None
    if len(_warned) > 1000:
        del _warned[next(iter(_warned))]
    log.warning("plan %s: the definition at its origin cannot be read: %s", plan_id, reason)


@plans_pages.get("/plans/<plan_id>/plan.<fmt>")
@signed_in
def download(plan_id: str, fmt: str) -> Response:
    """The plan as a file: the printable HTML (preview and Print), PDF, CSV, FHIR, or the feed's calendar."""
    if fmt in SUFFIXES:  # plan.fhir names no file: plan.fhir.json does
        abort(404)
    fmt = next((f for f, suffix in SUFFIXES.items() if suffix == fmt), fmt)
    if fmt not in DOWNLOADS:
        abort(404)
    p = _plan_or_404(plan_id)
    if not (fmt == "html" and request.args.get("preview") == "1"):
        # The plan page's own preview is part of the page's "view": only Print is a "print".
        trail("print" if fmt == "html" else f"download:{fmt}", plan_id)
    if fmt == "pdf":
        # Kept per plan version once made (dosecal serve's worker makes it after each change),
        # else made now, once however many ask: no expansion, no layout on a cached answer.
        try:
            data = pdf_cache().pdf(p)
        except MissingFeatureError as exc:  # PDF without WeasyPrint: say how to add it
            return Response(str(exc) + "\n", status=503, mimetype="text/plain")
    elif fmt == "ics":
        data = calendar_of(p.course())
    else:
        from dosecal.words import languages

        course = p.course()
        langs = languages(course.plan.language)
        options = RenderOptions(
            lang=langs[0], also=langs[1] if len(langs) > 1 else None, feed_url=_feed_url(plan_id)
        )
        data = render(fmt, course, options)
    response = Response(data, content_type=DOWNLOADS[fmt])
    if fmt == "html":
        response.headers["Content-Security-Policy"] = PLAN_CSP
        response.headers["X-Frame-Options"] = "SAMEORIGIN"
    else:
        response.headers["Content-Disposition"] = (
            f'attachment; filename="plan-{p.id}.{SUFFIXES.get(fmt, fmt)}"'
        )
    return response


@plans_pages.post("/plans/<plan_id>/feed")
@signed_in
def feed(plan_id: str) -> BaseResponse | str:
    """Rotate the feed link (the old one stops) or revoke it (no link at all), once confirmed."""
    p = _plan_or_404(plan_id)
    action = "revoke" if request.form.get("action") == "revoke" else "rotate"
    if p.feed and request.form.get("confirm") != "1":
        # A link on a patient's phone stops working: asked once more, never by a stray click.
        return render_template(
            "feed_confirm.html",
            plan=p,
            title=g.lang.content(p.course().schedule.title),
            action=action,
            heading="web.feed.revoke" if action == "revoke" else "web.feed.rotate",
            explanation="web.feed.confirm_revoke" if action == "revoke" else "web.feed.confirm_rotate",
            target=url_for("plans.feed", plan_id=plan_id),
        )
    if p.archived is not None:
        abort(409)
    if action == "revoke":
        store().revoke(plan_id, who=g.user)
    else:
        store().rotate(plan_id, who=g.user)
        trail("feed-link", plan_id)
    return redirect(url_for("plans.plan_page", plan_id=plan_id) + "#feed", code=303)


@plans_pages.post("/plans/<plan_id>/archive")
@signed_in
def archive(plan_id: str) -> BaseResponse | str:
    """Archive the plan (out of the list, feed stopped, history kept), once confirmed."""
    p = _plan_or_404(plan_id)
    if p.archived is not None:
        return redirect(url_for("plans.plan_page", plan_id=plan_id), code=303)
    if request.form.get("confirm") != "1":
        return render_template(
            "feed_confirm.html",
            plan=p,
            title=g.lang.content(p.course().schedule.title),
            action="archive",
            heading="web.archive.title",
            explanation="web.archive.confirm",
            target=url_for("plans.archive", plan_id=plan_id),
        )
    store().archive(plan_id, who=g.user, note=request.form.get("note") or None)
    trail("archive", plan_id)
    return redirect(url_for("plans.plans"), code=303)


# Adjusting


@plans_pages.route("/plans/<plan_id>/adjust", methods=["GET", "POST"])
@signed_in
def adjust(plan_id: str) -> Any:
    """The adjust form; a first post shows what moves, Confirm (with the version seen) saves it."""
    p = _plan_or_404(plan_id)
    course = p.course()
    fields = forms.Adjustment()
    errors: dict[str, list[Value]] = {}
    preview = None
    conflict = None
    if request.method == "POST":
        fields = forms.Adjustment.from_form(request.form)
        confirm = request.form.get("confirm") == "1"
        try:
            seen = int(request.form.get("version", p.version))
        except ValueError:
            seen = p.version
        errors = fields.problems()  # fields that cannot even be written as options
        if not errors:
            try:
                adjusted, change = store().adjust(
                    plan_id, fields.overrides(), who=g.user, expect_version=seen, dry_run=not confirm
                )
            except ConflictError as exc:
                saved = _already_saved(plan_id, fields, seen) if confirm else None
                if saved is not None:  # sent twice (double click, Back and resend): recorded once
                    target = url_for("plans.plan_page", plan_id=plan_id, saved=saved, twice=1)
                    return redirect(target, code=303)
                conflict = page_text(g.lang.text(for_page(exc.args[0] if exc.args else str(exc))), g.lang)
                p = store().get(plan_id)
                course = p.course()
            except InputFileError as exc:
                errors = fields.placed(forms.errors_of(exc))
            else:
                if confirm:
                    trail("adjust", plan_id)
                    # The version the history shows for this change: the plan page says so.
                    target = url_for("plans.plan_page", plan_id=plan_id, saved=adjusted.version)
                    return redirect(target, code=303)
                after = course_of(p.id, change.text, p.definition)
                preview = {
                    "changes": [a.describe(change.schedule) for a in change.adjustments],
                    "shown": preview_of(course, after, change.adjustments),
                }
    errors = worded(errors, course.schedule)
    agents = [(a.id, g.lang.content(a.name)) for a in course.schedule.agents.values()]
    first = {"choices": next((f"choice.{c}" for c in course.schedule.choices), "choices")}
    return render_template(
        "adjust.html",
        links=error_links(errors, first, {"choices": "web.adjust.choices", "cycles": "web.adjust.cycles"}),
        plan=p,
        title=g.lang.content(course.schedule.title),
        fields=fields,
        errors=errors,
        preview=preview,
        conflict=conflict,
        agents=agents,
        infusion=any(isinstance(r, Infusion) for phase in course.schedule.phases for r in phase.rules),
        choices=list(course.schedule.choices.values()),
        current=course.choices,
        planned=course.planned_cycles,
        timed=[(a.id, g.lang.content(a.name)) for a in course.schedule.agents.values() if a.times],
        body_size=forms.uses_body_size(course.schedule, p.definition),  # the plan's own snapshot
        asks_until=forms.asks_until(course.schedule),
        now=forms.in_force(course),
    ), (422 if errors else 409 if conflict else 200)


def _already_saved(plan_id: str, fields: forms.Adjustment, seen: int) -> int | None:
    """The version that already holds this very adjustment, if the plan's newest change is it.

    A confirm sent twice (a double click, or Back and send again) reaches the store with the
    version seen before the first was saved. When the newest change since then was made by the
    same nurse, with the same words for the adjustment and the same note, it is that first
    send: the answer is "already saved", not a conflict that asks to redo it (and may get a
    7-day delay recorded twice). Any other change since is a real conflict.
    """
    history = store().history(plan_id)
    if not history:
        return None
    last = history[-1]
    given = fields.overrides()
    if last.action != "adjust" or last.who != g.user or last.version <= seen or last.note != given.note:
        return None
    current = store().get(plan_id)
    try:
        new = (*given.adjustments(), *given.later_decisions())
        schedule = definitions.loads(current.definition, f"<definition of plan {plan_id}>")
        recorded = planfile.loads(current.content, f"<plan {plan_id}>").adjustments
    except InputFileError:
        return None
    words = "; ".join(ENGLISH.text(a.describe(schedule)) for a in new)
    same = bool(new) and recorded[-len(new) :] == new and words == last.detail
    return last.version if same else None


# Upgrading the definition


@plans_pages.route("/plans/<plan_id>/upgrade", methods=["GET", "POST"])
@signed_in
def upgrade(plan_id: str) -> Any:
    """The review of a newer definition (what ``store upgrade --dry-run`` prints); Confirm applies it.

    GET changes nothing: :meth:`Store.upgrade` with ``dry_run``. The confirmation carries the
    version and the definition reviewed, so that what is applied is what the nurse saw: a change
    to either meanwhile is refused as a conflict, with a link to review again.
    """
    p = _plan_or_404(plan_id)
    title = g.lang.content(p.course().schedule.title)
    if p.archived is not None:
        return _upgrade_refused(p, title, "web.upgrade.archived", again=False), 409
    if request.method == "POST":
        seen = request.form.get("version", "")
        reviewed = request.form.get("definition", "")
        try:
            result = store().upgrade(
                plan_id,
                who=g.user,
                expect_version=int(seen) if seen.isdigit() else -1,
                expect_definition=reviewed,
            )
        except ConflictError as exc:
            saved = _upgrade_saved(plan_id, seen, reviewed)
            if saved is not None:  # sent twice (double click, Back and resend): applied once
                target = url_for("plans.plan_page", plan_id=plan_id, saved=saved, twice="upgrade")
                return redirect(target, code=303)
            changed = _key(exc) == "error.store.definition_changed"
            words = "web.upgrade.definition_changed" if changed else "web.upgrade.conflict"
            return _upgrade_refused(store().get(plan_id), title, words), 409
        except (UnknownScheduleError, InputFileError, StoreError) as exc:
            return _upgrade_failed(p, title, exc)
        if not result.changed:  # nothing to apply: the plan already has this definition
            return redirect(url_for("plans.plan_page", plan_id=plan_id), code=303)
        trail("upgrade", plan_id)
        return redirect(url_for("plans.plan_page", plan_id=plan_id, saved=result.plan.version), code=303)
    try:
        review = store().upgrade(plan_id, who=g.user, dry_run=True)
    except (UnknownScheduleError, InputFileError, StoreError) as exc:
        return _upgrade_failed(p, title, exc)
    return render_template(
        "upgrade.html",
        plan=review.plan,
        title=title,
        review=review,
        changes=[m.describe() for m in review.moves],
        withdrawn=describe_withdrawn(review.withdrawn),
    )


def _key(exc: Exception) -> str | None:
    """The message id an error was raised with, if it was raised with one."""
    first = exc.args[0] if exc.args else None
    return first.key if isinstance(first, Msg) else None


def _upgrade_failed(plan: StoredPlan, title: str, exc: Exception) -> tuple[str, int]:
    """The page for an upgrade the library refuses: the nurse's words; the problems go to the log.

    Raises:
        StoreError: any store error but an archived plan's (a database that does not answer
            is its own page, a 503).
    """
    if isinstance(exc, StoreError):
        if _key(exc) != "error.store.archived":
            raise exc
        return _upgrade_refused(plan, title, "web.upgrade.archived", again=False), 409
    log.warning("plan %s: the definition at its origin cannot be applied: %s", plan.id, redact(str(exc)))
    definition = isinstance(exc, DefinitionError | UnknownScheduleError)
    words = "web.upgrade.problem" if definition else "web.upgrade.does_not_fit"
    return _upgrade_refused(plan, title, words, again=False), 422


def _upgrade_refused(plan: StoredPlan, title: str, words: str, *, again: bool = True) -> str:
    """The review page with only why nothing was applied (and, after a conflict, a link to review again)."""
    return render_template("upgrade.html", plan=plan, title=title, refused=words, again=again)


def _upgrade_saved(plan_id: str, seen: str, reviewed: str) -> int | None:
    """The version an upgrade confirmed twice already made, if the plan's one change since is it.

    Like :func:`_already_saved`: a confirm sent twice reaches the store with the version seen
    before the first was applied. When the one change since is this nurse's upgrade to the very
    definition reviewed, it is that first send; anything else is a real conflict.
    """
    if not seen.isdigit():
        return None
    history = store().history(plan_id)
    last = history[-1] if history else None
    if last is None or last.action != "upgrade" or last.who != g.user or last.version != int(seen) + 1:
        return None
    current = store().get(plan_id)
    applied = hashlib.sha256(current.definition.encode("utf-8")).hexdigest()
    return last.version if current.version == last.version and applied == reviewed else None


def worded(errors: dict[str, list[Value]], schedule: Schedule) -> dict[str, list[Value]]:
    """Each error as the page says it: in the nurse's language, without command-line syntax."""
    return {
        name: [page_text(g.lang.text(for_page(message)), g.lang, schedule) for message in messages]
        for name, messages in errors.items()
    }


def _saved_notice(plan: StoredPlan) -> int | None:
    """The version named by ``?saved=N`` (after a confirm, or one sent twice), if the plan has it."""
    value = request.args.get("saved", "")
    return int(value) if value.isdigit() and 1 <= int(value) <= plan.version else None


# Errors
