"""Feed links that any nurse can show again, and that a copy of the database does not give away.

A plan's feed token is derived, not drawn: HMAC-SHA256 of the plan's id and its feed generation
under the clinic's feed key, a secret kept in a file outside the database (docs/deploy.md). The
database keeps the generation and the token's SHA-256 only. With the key, the plan page, ``store
show`` and every printout show the link in force, so a printout made after another nurse's "New
link" never carries a dead link or QR code; without it, a copy of the database opens no feed.
"New link" raises the generation, so an old link never comes back.

Encrypting the token at rest would give the same; deriving it keeps nothing secret in the
database at all, and needs no new dependency: :mod:`hmac` is the standard library's.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
import secrets
from collections.abc import Mapping
from pathlib import Path

from dosecal.errors import StoreError
from dosecal.service.database import make_private_folder
from dosecal.words import msg

#: Bytes of the feed key, and of every token (256 bits, well over the 128 the review asked for).
KEY_BYTES = 32


def key_path(environ: Mapping[str, str]) -> Path:
    """The feed key's file: ``$DOSECAL_FEED_KEY_FILE``, else ``$XDG_CONFIG_HOME/dosecal/feed.key``.

    The default lives beside the user's other settings (``~/.config/dosecal/feed.key``), so that
    the command line and ``dosecal serve`` run by the same user share it.
    """
    given = environ.get("DOSECAL_FEED_KEY_FILE")
    if given:
        return Path(given).expanduser()
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "dosecal" / "feed.key"


def load_key(environ: Mapping[str, str] | None = None) -> bytes:
    """The clinic's feed key, made (readable by its owner only) the first time it is needed.

    Two processes (or threads) that make it at once both end up with the first one's key: the
    key is written whole to a file of its own, then linked to its name, which fails if one is
    already there; so a reader never sees a half-written key.

    Raises:
        StoreError: when the file cannot be read or made, or does not hold a key.
    """
    path = key_path(os.environ if environ is None else environ)
    try:
        if not path.exists():
            make_private_folder(path.parent)  # 0700: only its owner may look for it
            draft = path.with_name(f".{path.name}.{os.getpid()}.{secrets.token_bytes(8).hex()}")
            fd = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            try:
                with os.fdopen(fd, "w", encoding="ascii") as made:
                    made.write(secrets.token_bytes(KEY_BYTES).hex() + "\n")
                os.link(draft, path)
            except FileExistsError:
                pass  # another process made it first: its key is the one
            finally:
                draft.unlink(missing_ok=True)
        text = path.read_text(encoding="ascii").strip()
        key = bytes.fromhex(text)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StoreError(msg("error.store.feed_key", path=str(path), reason=type(exc).__name__)) from None
    if len(key) < KEY_BYTES:
        raise StoreError(msg("error.store.feed_key", path=str(path), reason=f"{len(key)} bytes"))
    return key


def session_key(environ: Mapping[str, str] | None = None) -> bytes | None:
    """The cookie-signing key a deployment gives, or ``None``: then the one kept in the database.

    ``$DOSECAL_SESSION_KEY_FILE`` (a file of 64 or more hexadecimal digits, e.g. a systemd
    credential or a container secret) or ``$DOSECAL_SESSION_KEY`` (the digits themselves): for a
    clinic whose policy keeps secrets out of the database and its backups. Every server of the
    clinic must be given the same key.

    Raises:
        StoreError: when the variable is set but does not give such a key.
    """
    env = os.environ if environ is None else environ
    given_file = env.get("DOSECAL_SESSION_KEY_FILE")
    source = given_file or "$DOSECAL_SESSION_KEY"
    try:
        if given_file:
            text = Path(given_file).expanduser().read_text(encoding="ascii")
        else:
            text = env.get("DOSECAL_SESSION_KEY", "")
            if not text:
                return None
        key = bytes.fromhex(text.strip())
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        raise StoreError(msg("error.store.session_key", source=source, reason=type(exc).__name__)) from None
    if len(key) < KEY_BYTES:
        raise StoreError(msg("error.store.session_key", source=source, reason=f"{len(key)} bytes"))
    return key


def derive(key: bytes, plan_id: str, generation: int) -> str:
    """The feed token of ``plan_id``'s link number ``generation``: URL-safe, 43 characters."""
    digest = hmac.new(key, f"dosecal-feed:{plan_id}:{generation}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def token_hash(token: str) -> str:
    """What the store keeps of a feed token: its SHA-256, hex (a leaked database opens no feed)."""
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()
