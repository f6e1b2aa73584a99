"""What the server's log may hold of a request: paths without feed tokens, one line each.

A log is read by people who must not get a patient's feed link from it, and by tools that take
a line break for a new entry: both rules live here, for every module that logs.
"""

from __future__ import annotations

import re

#: A feed path with its secret part: logged as ``/feeds/…ics``, never with the token.
_SECRET = re.compile(r"(/feeds/)[^/?#]*")


def _escape(char: str) -> str:
    """One character as a log line may hold it: printable as is, else a backslash escape."""
    if char.isprintable():
        return char
    if char == "\n":
        return "\\n"
    if char == "\r":
        return "\\r"
    if char == "\t":
        return "\\t"
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}"


def redact(path: str) -> str:
    """A request path fit for a log: feed tokens replaced by ``…``, non-printables escaped.

    Every control or other non-printable character (a line break, a NUL, a bidi override) is
    written as a backslash escape,
    so that a path can neither forge a log line nor hide part of one. A backslash is doubled,
    so that an escape typed in the path cannot pass for one written here.
    """
    escaped = "".join(_escape(c) for c in path.replace("\\", "\\\\"))
    return _SECRET.sub(r"\1…", escaped)
