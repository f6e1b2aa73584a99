"""The administrator's regimens page: the clinic's own regimens, imported from a file after a preview.

What ``dosecal store regimens import`` does on the server, an administrator does here through the
same library calls (:mod:`dosecal.service.regimens`): a FHIR PlanDefinition (told apart from a
TOML definition by its content) is read as ``dosecal fhir import`` reads it, and refused with the
same words. The import is shown before it is stored, as the adjust page shows what moves: which
regimen and version it becomes, what was left out of the calendar, the schedule in words; a
regimen in parts first asks which part. Confirm stores it, an audit row (``regimen-import``)
records it, and every nurse's new plan page offers it at once.

The file is never written to disk (:class:`dosecal.web.MemoryRequest`) nor kept by the server:
what was read of it (each part's definition, or why it was refused) rides in the page's form,
compressed and sealed under the app's secret key for this administrator, so that any server of
the clinic can take the next step and nobody can make a preview say what the file did not. The
confirmed definition is read again through the library's checks before it is stored.

Each regimen's current version is offered as a FHIR PlanDefinition of the national profile: the
bytes ``dosecal fhir export`` writes for the same definition text, what the profile cannot carry
listed beside the link (as the command prints it on standard error), never dropped in silence.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import hashlib
import hmac
import json
import logging
import re
import zlib
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from dosecal.errors import ConflictError, InputFileError
from dosecal.inputs import definitions
from dosecal.inputs.files import MAX_FILE_BYTES
from dosecal.render.describe import describe
from dosecal.render.plandefinition import Exported
from dosecal.service import regimens
from dosecal.service.regimens import Prepared
from dosecal.web.admin import administrators_only
from dosecal.web.pages import store
from dosecal.web.security import trail
from dosecal.web.wording import page_text
from dosecal.words import Value, msg

regimen_pages = Blueprint("regimens", __name__, template_folder="templates")

log = logging.getLogger("dosecal.web")

#: The most a sealed import may hold once decompressed (its definitions and report lines).
MOST_SEALED_BYTES = 4 * MAX_FILE_BYTES


def _key() -> bytes:
    """The key that seals an import's form for this administrator (derived from the app's secret)."""
    secret = current_app.secret_key
    base = secret.encode() if isinstance(secret, str) else bytes(secret or b"")
    return hmac.new(base, f"regimen-import\x00{g.user}".encode(), hashlib.sha256).digest()


def seal(payload: dict[str, Any]) -> str:
    """``payload`` as a form field: JSON, compressed, URL-safe base64, and its HMAC."""
    data = base64.urlsafe_b64encode(zlib.compress(json.dumps(payload, separators=(",", ":")).encode(), 9))
    mac = hmac.new(_key(), data, hashlib.sha256).hexdigest()
    return f"{data.decode()}.{mac}"


def unseal(sealed: str) -> dict[str, Any] | None:
    """The payload of a field :func:`seal` made for this administrator; ``None`` for any other."""
    data, _, mac = sealed.partition(".")
    expected = hmac.new(_key(), data.encode(), hashlib.sha256).hexdigest()
    if not hmac.compare_digest(expected, mac):
        return None
    try:
        inflate = zlib.decompressobj()
        text = inflate.decompress(base64.urlsafe_b64decode(data), MOST_SEALED_BYTES)
        found = json.loads(text) if not inflate.unconsumed_tail else None
    except (binascii.Error, zlib.error, ValueError):
        return None
    return found if isinstance(found, dict) else None


def _problems(exc: InputFileError) -> list[str]:
    return [str(p) for p in exc.problems]


def _outcome(data: bytes, file: str, part: int | None) -> dict[str, Any]:
    """What importing ``data`` (its ``part``) gives: the prepared definition, or why it is refused."""
    try:
        return {"prepared": dataclasses.asdict(regimens.read(data, file, part))}
    except InputFileError as exc:
        return {"refused": _problems(exc)}


def _outcomes(data: bytes, file: str) -> dict[str, Any]:
    """Everything the import page may show of one file: its parts, and each part's outcome."""
    try:
        found = regimens.parts(data, file)
    except InputFileError as exc:
        return {"file": file, "parts": [], "results": {"": {"refused": _problems(exc)}}}
    if not found:
        return {"file": file, "parts": [], "results": {"": _outcome(data, file, None)}}
    return {
        "file": file,
        "parts": [[n, name] for n, name in found],
        "results": {str(n): _outcome(data, file, n) for n, _ in found},
    }


def _prepared(fields: dict[str, Any]) -> Prepared:
    """A :class:`Prepared` from its sealed fields (sealed by this server: their shape is its own)."""
    return Prepared(**{**fields, "report": tuple(fields["report"])})


def _file_name(given: str | None) -> str:
    """The uploaded file's name as messages show it: its last part, no control characters, bounded."""
    name = re.split(r"[\\/]", given or "")[-1]
    name = re.sub(r"[\x00-\x1f\x7f]", "", name).strip()[:120]
    return name or "upload"


def located(line: str, file: str) -> tuple[str | None, str]:
    """A report line as the page lists it: its place in the file (a JSON or key path) and its words.

    The file's name, which the page shows once, is left out; a line that names no place (the
    refusal's last line) is all words.
    """
    rest = line.removeprefix(f"{file}: ")
    place, found, words = rest.partition(": ")
    if found and " " not in place and ("[" in place or "." in place):
        return place, words
    return None, rest


@regimen_pages.app_template_filter("located")
def _located(line: str, file: str) -> tuple[str | None, str]:
    return located(line, file)


def _list_page(errors: dict[str, list[Value]] | None = None, status: int = 200) -> tuple[str, int]:
    found = store().regimens.versions()
    by_id: dict[str, list[regimens.Regimen]] = {}
    for r in found:
        by_id.setdefault(r.id, []).append(r)
    listed = sorted(
        ((versions[-1], list(reversed(versions))) for versions in by_id.values()),
        key=lambda pair: (pair[0].title.casefold(), pair[0].id),
    )
    notice = session.pop("regimen_notice", None)
    said = msg(str(notice[0]), **dict(notice[1])) if isinstance(notice, list) and len(notice) == 2 else None
    return render_template(
        "admin_regimens.html",
        listed=listed,
        errors=errors or {},
        notice=said,
        most=MAX_FILE_BYTES // 1024,
        exported=exported,
    ), status


@regimen_pages.get("/admin/regimens")
@administrators_only
def regimens_page() -> Any:
    """The clinic's own regimens with their versions, and the form to import one."""
    return _list_page()


@regimen_pages.post("/admin/regimens/import")
@administrators_only
def import_regimen() -> Any:
    """An import in steps: the file; its part (a regimen in parts); the preview; Confirm stores it."""
    sealed = request.form.get("sealed")
    if sealed is not None:
        payload = unseal(sealed)
        if payload is None:
            abort(400)
    else:
        upload = request.files.get("file")
        if upload is None or not upload.filename:
            return _list_page({"file": [msg("web.regimens.no_file")]}, 422)
        data = upload.read(MAX_FILE_BYTES + 1)
        if len(data) > MAX_FILE_BYTES:
            return _list_page(
                {"file": [msg("error.limits.file_too_large", maximum=MAX_FILE_BYTES // 1024)]}, 422
            )
        payload = _outcomes(data, _file_name(upload.filename))
        sealed = seal(payload)
    file = str(payload["file"])
    parts = [(int(n), str(name)) for n, name in payload["parts"]]
    chosen = request.form.get("part", "")
    if parts and chosen not in payload["results"]:
        # Sent from the parts step (the file already read) without a part: say so. A radio group
        # with nothing chosen sends no field at all, so the step is known by the sealed file.
        error = msg("web.regimens.choose_part") if request.form.get("sealed") is not None else None
        return render_template(
            "admin_regimen_import.html", step="parts", file=file, parts=parts, sealed=sealed, error=error
        ), (422 if error else 200)
    result = payload["results"][chosen if parts else ""]
    part = int(chosen) if parts else None
    part_name = dict(parts).get(part) if part is not None else None
    if "refused" in result:
        return render_template(
            "admin_regimen_import.html",
            step="refused",
            file=file,
            part=part,
            part_name=part_name,
            parts=parts,
            sealed=sealed,
            reasons=result["refused"],
        ), 422
    prepared = _prepared(result["prepared"])
    conflict = None
    if request.form.get("confirm") == "1":
        seen = request.form.get("expect", "")
        try:
            kept, new = store().regimens.add(
                prepared, who=g.user, expect_version=int(seen) if seen.isdigit() else -1
            )
        except ConflictError as exc:
            conflict = exc.args[0] if exc.args else str(exc)
        else:
            if new:
                trail("regimen-import", subject=kept.id)
                session["regimen_notice"] = [
                    "web.regimens.imported",
                    {"id": kept.id, "version": kept.version},
                ]
            else:
                session["regimen_notice"] = ["web.regimens.same", {"id": kept.id, "version": kept.version}]
            return _done()
    current = store().regimens.find(prepared.id)
    schedule = definitions.loads(prepared.definition, prepared.file)
    return render_template(
        "admin_regimen_import.html",
        step="preview",
        file=file,
        part=part,
        part_name=part_name,
        parts=parts,
        sealed=sealed,
        prepared=prepared,
        report=prepared.report,
        current=current,
        same=current is not None and current.definition == prepared.definition,
        expect=current.version if current is not None else 0,
        conflict=conflict,
        shown=page_text(describe(schedule, g.lang), g.lang, schedule),
    ), (409 if conflict else 200)


@regimen_pages.get("/admin/regimens/<ident>/plandefinition.json")
@administrators_only
def plandefinition(ident: str) -> Response:
    """The regimen's current version as ``dosecal fhir export`` writes its definition: a download.

    What the profile cannot carry is listed beside the link on the regimens page.
    """
    found = store().regimens.find(ident)
    result = exported(found) if found is not None else None
    if found is None or result is None:
        abort(404)
    response = Response(result.data, content_type="application/fhir+json; charset=utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="PlanDefinition-{found.id}.json"'
    return response


def exported(r: regimens.Regimen) -> Exported | None:
    """The PlanDefinition of a version, or ``None`` when this dosecal no longer reads its definition.

    The regimens page still shows (so that a new version can be imported); the reason goes to the log.
    """
    try:
        return r.plandefinition()
    except InputFileError as exc:
        log.warning("regimen %s cannot be exported: %s", r.name, exc)
        return None


def _done() -> BaseResponse:
    return redirect(url_for("regimens.regimens_page") + "#notice", code=303)
