"""Publishing a plan to a CalDAV calendar, so that subscribed apps always show the current plan.

Each run converges: it lists this plan's events on the server (UIDs that start with the plan
id), writes the ones that are missing or differ, and deletes the ones the plan no longer has.
Every write is one whole event, so a server that fails part way leaves a mix of old and new
events that the next run repairs. The CalDAV client is the ``caldav`` library, an optional
extra (``dosecal[caldav]``).
"""

from __future__ import annotations

import ipaddress
import netrc
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

from icalendar import Calendar

from dosecal.errors import DosecalError, MissingFeatureError
from dosecal.inputs.files import read_capped
from dosecal.model.course import Course
from dosecal.render.ics import event_resources
from dosecal.words import ENGLISH, Language, Msg, msg, say

INSTALL = msg("error.publish.install")
USER_ENV = "DOSECAL_CALDAV_USERNAME"
PASSWORD_ENV = "DOSECAL_CALDAV_PASSWORD"

_MKCALENDAR = (
    '<?xml version="1.0" encoding="utf-8"?>'
    '<C:mkcalendar xmlns:D="DAV:" xmlns:C="urn:ietf:params:xml:ns:caldav">'
    "<D:set><D:prop><D:displayname>{name}</D:displayname></D:prop></D:set></C:mkcalendar>"
)


class PublishError(DosecalError):
    """The server could not be reached, refused, or failed part way."""


@dataclass(frozen=True, slots=True)
class Report:
    """What a publish did.

    Attributes:
        url: the calendar collection.
        created: events written that the server did not have.
        updated: events rewritten because they changed.
        unchanged: events already as planned.
        removed: events of this plan deleted because the plan no longer has them.
    """

    url: str
    created: int
    updated: int
    unchanged: int
    removed: int

    def describe(self) -> str:
        """One line for the terminal."""
        return (
            f"published to {self.url}: {self.created} created, {self.updated} updated, "
            f"{self.unchanged} unchanged, {self.removed} removed"
        )


def credentials(url: str, environ: Mapping[str, str] = os.environ) -> tuple[str | None, str | None]:
    """User and password from the environment, else from the netrc file for the URL's host."""
    user, password = environ.get(USER_ENV), environ.get(PASSWORD_ENV)
    if user and password:
        return user, password
    host = urlsplit(url).hostname or ""
    path = environ.get("NETRC") or str(Path(environ.get("HOME", str(Path.home()))) / ".netrc")
    try:
        read_capped(Path(path))  # a regular file of sane size: /dev/zero or a FIFO would never end
        found = netrc.netrc(path).authenticators(host)
    except FileNotFoundError:
        found = None
    except netrc.NetrcParseError as exc:
        # Only the line: the parser's own text can quote a token, and a token can be a password.
        where = f"line {exc.lineno}" if exc.lineno else "not a netrc file"
        raise PublishError(msg("error.publish.path_cannot_read_netrc", path=path, exc=where)) from None
    except (OSError, ValueError) as exc:  # unreadable, not a regular file, too large, not UTF-8
        why = exc.strerror if isinstance(exc, OSError) and exc.strerror else _netrc_reason(exc)
        raise PublishError(msg("error.publish.path_cannot_read_netrc", path=path, exc=why)) from None
    if found is None:
        return user, password
    login, _, secret = found
    return user or login, password or secret


def shown(text: str) -> str:
    """``text`` with the user name and password of any URL in it removed, for messages."""
    return _USERINFO.sub(r"\1", text)


_USERINFO = re.compile(r"(\b[a-zA-Z][a-zA-Z0-9+.-]*://)[^/@\s]*@")


def _netrc_reason(exc: Exception) -> str:
    """Why a netrc file was refused, without quoting its content (it holds passwords)."""
    first = exc.args[0] if exc.args else None
    return str(first) if isinstance(first, Msg) else type(exc).__name__


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def _href(collection: str, uid: str) -> str:
    return collection + quote(uid.split("@", 1)[0], safe="") + ".ics"


def publish(course: Course, *, url: str, timeout: int = 30, lang: Language = ENGLISH) -> Report:
    """Make the calendar collection at ``url`` hold exactly this plan's events.

    Raises:
        PublishError: the server refused, timed out or failed; the message says how far it got.
        MissingFeatureError: the caldav library is not installed.
    """
    try:
        from caldav.collection import Calendar as DavCalendar
        from caldav.davclient import DAVClient
        from caldav.lib.error import DAVError
        from niquests.exceptions import RequestException as HttpError
    except ImportError:
        raise MissingFeatureError(INSTALL) from None
    try:
        parts = urlsplit(url)
        host = parts.hostname
        _ = parts.port  # raises for a port that is not a number from 0 to 65535
    except ValueError:  # an unclosed [ or a port that is not a number
        raise PublishError(msg("error.publish.url_url_http_s", url=shown(url))) from None
    if parts.username is not None or parts.password is not None or "@" in parts.netloc:
        raise PublishError(
            msg("error.publish.url_credentials", url=shown(url), user=USER_ENV, password=PASSWORD_ENV)
        )
    if parts.scheme not in ("http", "https") or not host:
        raise PublishError(msg("error.publish.url_url_http_s", url=shown(url)))
    if parts.scheme == "http" and not _loopback(host):
        raise PublishError(msg("error.publish.url_url_would_send", url=shown(url)))
    collection = url if url.endswith("/") else url + "/"
    user, password = credentials(collection)
    desired = event_resources(course, lang=lang)
    prefix = course.plan.plan_id(course.schedule) + "."
    done = 0
    total = len(desired)
    counts = {"created": 0, "updated": 0, "unchanged": 0, "removed": 0}

    def failed(step: str, exc: BaseException) -> PublishError:
        text = str(exc).strip()
        reason = shown(text.splitlines()[0][:200]) if text else type(exc).__name__
        if "401" in reason or "Unauthorized" in reason:
            reason = str(msg("error.publish.credentials", user=USER_ENV, password=PASSWORD_ENV))
        return PublishError(
            msg(
                "error.publish.collection_step_failed_after",
                collection=collection,
                step=step,
                done=done,
                total=total,
                reason=reason,
            )
        )

    try:
        client = DAVClient(
            url=collection,
            username=user,
            password=password,
            timeout=timeout,
            require_tls=parts.scheme == "https",
        )
        status = client.propfind(collection, depth=0).status
        if status == 404:
            name = (
                say("calendar.name", title=course.schedule.title).replace("&", "&amp;").replace("<", "&lt;")
            )
            made = client.mkcalendar(collection, _MKCALENDAR.format(name=name)).status
            if made >= 300:
                raise PublishError(
                    msg("error.publish.collection_server_would_create", collection=collection, made=made)
                )
        elif status == 401:
            raise PublishError(
                msg(
                    "error.publish.collection_server_refused_credentials",
                    collection=collection,
                    USER_ENV=USER_ENV,
                    PASSWORD_ENV=PASSWORD_ENV,
                )
            )
        elif status >= 300:
            raise PublishError(
                msg("error.publish.collection_calendar_server_lets", collection=collection, status=status)
            )
        calendar = DavCalendar(client=client, url=collection)
        existing: dict[str, tuple[str, str | None]] = {}
        found: Any = calendar.search(event=True)
        assert isinstance(found, list)  # the synchronous client returns a list
        for obj in found:
            parsed: Any = Calendar.from_ical(obj.data)
            for event in parsed.walk("VEVENT"):
                uid = str(event.get("UID", ""))
                if uid.startswith(prefix) and uid.endswith("@dosecal"):
                    digest = event.get("X-DOSECAL-HASH")
                    existing[uid] = (str(obj.url), str(digest) if digest is not None else None)
        for uid in sorted(desired):
            data = desired[uid]
            href, digest = existing.get(uid, (_href(collection, uid), None))
            mine = Calendar.from_ical(data).walk("VEVENT")[0].get("X-DOSECAL-HASH")
            if digest is not None and digest == str(mine):
                counts["unchanged"] += 1
            else:
                response = client.put(
                    href, data.decode("utf-8"), {"Content-Type": "text/calendar; charset=utf-8"}
                )
                if response.status >= 300:
                    raise PublishError(
                        msg(
                            "error.publish.collection_server_refused_uid",
                            collection=collection,
                            uid=uid,
                            status=response.status,
                        )
                    )
                counts["updated" if uid in existing else "created"] += 1
            done += 1
        for uid in sorted(existing.keys() - desired.keys()):
            response = client.delete(existing[uid][0])
            if response.status >= 300 and response.status != 404:
                raise PublishError(
                    msg(
                        "error.publish.collection_server_would_delete",
                        collection=collection,
                        uid=uid,
                        status=response.status,
                    )
                )
            counts["removed"] += 1
    except DosecalError:
        raise
    except (DAVError, HttpError, OSError, ValueError) as exc:
        raise failed("publishing", exc) from None
    except Exception as exc:  # noqa: BLE001 (third-party errors of every kind; see below)
        # The server's answer goes through caldav, lxml, niquests and icalendar, each with
        # its own errors (invalid XML is an lxml SyntaxError): any of them is one line.
        raise failed(
            "publishing", PublishError(msg("error.publish.server_answer", kind=type(exc).__name__))
        ) from None
    return Report(collection, **counts)
