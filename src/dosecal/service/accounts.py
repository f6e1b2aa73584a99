"""Clinic accounts: who may sign in to the web pages, their open sessions, and the server's secret.

Passwords are kept as scrypt hashes (:func:`hashlib.scrypt`, in the standard library, so no
new dependency): memory-hard, with a random salt per password and the cost written beside the
hash so that a later, dearer cost can be read alongside older hashes. A signed-in session is a
random id in the browser's (signed) cookie and its SHA-256 in the ``sessions`` table: signing
out deletes the row, so a copied cookie is worthless afterwards, and a copy of the database
holds no working session. The secret that signs cookies lives in the database too, so that
every server of a clinic signs and checks them alike.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import os
import re
import secrets
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa

from dosecal.errors import StoreError
from dosecal.service.feedtokens import session_key
from dosecal.service.store import Store
from dosecal.service.teams import admins, check_team, has_admin, lock_admins, memberships
from dosecal.words import msg

_meta = sa.MetaData()

#: The tables as migrations 0002 and 0003 make them.
users = sa.Table(
    "users",
    _meta,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("password_hash", sa.Text, nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
)
sessions = sa.Table(
    "sessions",
    _meta,
    sa.Column("id_hash", sa.String(64), primary_key=True),
    sa.Column("user", sa.String(64), nullable=False),
    sa.Column("created", sa.DateTime(timezone=True), nullable=False),
)
signin_failures = sa.Table(
    "signin_failures",
    _meta,
    sa.Column("name_hash", sa.String(64), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("first", sa.DateTime(timezone=True), nullable=False),
    sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
)
settings = sa.Table(
    "settings",
    _meta,
    sa.Column("name", sa.String(64), primary_key=True),
    sa.Column("value", sa.Text, nullable=False),
)

#: scrypt's cost: 2**15 rounds of 8 blocks, 32 MiB a hash, about 0.1 s here (OWASP's floor is 2**17
#: with r=8 for 128 MiB; this server may run several sign-ins at once on a small machine).
SCRYPT_N, SCRYPT_R, SCRYPT_P = 2**15, 8, 1

#: How long a sign-in lasts: a clinic day. After it the nurse signs in again, even if the browser
#: stayed open on a shared computer.
SESSION_HOURS = 12

#: Failed sign-ins allowed for one name within :data:`THROTTLE_MINUTES`; after them, that name
#: is refused (right password or not) for :data:`THROTTLE_MINUTES`.
MAX_FAILURES = 10

#: The window in which failures are counted, and how long a name is then refused.
THROTTLE_MINUTES = 15

#: Passwords hashed at once in one server process: half the cores (at least one), so that a
#: flood of sign-ins slows sign-ins, never the feeds and pages.
HASHING = max(1, (os.cpu_count() or 2) // 2)
_HASHING = threading.BoundedSemaphore(HASHING)
#: How long a sign-in waits for a hashing slot before the page says to try again: hardly at
#: all, for a sign-in that waits holds one of the server's worker threads, and a flood of them
#: would leave none for the feeds (measured: benchmarks/signin_flood.py).
HASH_WAIT_SECONDS = 0.05
#: One process's sign-in counts, one at a time (the database orders processes).
_ATTEMPTS = threading.Lock()


class Busy(StoreError):
    """Too many sign-ins at once: nothing was checked; try again in a moment."""


#: The shortest password accepted.
MIN_PASSWORD = 10

#: What a user name may be: what a login or a directory name usually is.
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")


def hash_password(password: str, *, salt: bytes | None = None) -> str:
    """``scrypt$N$r$p$salt$hash``, salt and hash in base64."""
    salt = salt if salt is not None else secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=SCRYPT_N, r=SCRYPT_R, p=SCRYPT_P, maxmem=64 * 1024 * 1024
    )
    b64 = base64.b64encode
    return f"scrypt${SCRYPT_N}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


def verify_password(password: str, stored: str) -> bool:
    """Whether ``password`` gives ``stored`` (compared in constant time)."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        again = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=256 * 1024 * 1024,
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(again, base64.b64decode(digest))


#: Checked against when a name is unknown, so that an unknown name takes as long as a wrong password.
_DUMMY = hash_password("not a password", salt=b"0" * 16)


def check_name(name: str) -> str:
    """``name`` if it can be a user name.

    Raises:
        StoreError: for anything else (spaces, control characters, over 64 characters).
    """
    if not _NAME.match(name):
        raise StoreError(msg("error.users.bad_name", name=name))
    return name


def check_new_password(password: str) -> str:
    """``password`` if it is long enough.

    Raises:
        StoreError: for a shorter one.
    """
    if len(password) < MIN_PASSWORD:
        raise StoreError(msg("error.users.short_password", minimum=MIN_PASSWORD))
    return password


@dataclass(frozen=True, slots=True)
class User:
    """One account.

    Attributes:
        name: what the nurse types to sign in, and what the plans' history shows.
        created: when it was made (UTC).
    """

    name: str
    created: datetime


class Accounts:
    """The accounts of one plan store's database."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.engine = store.engine
        self._secret: bytes | None = None

    def add(self, name: str, password: str, *, teams: Sequence[str] = (), admin: bool = False) -> None:
        """Make an account, in ``teams`` and an administrator if asked, all in one transaction.

        Raises:
            StoreError: for a bad name, a short password, a bad team name, or a name already
                taken (then nothing is made).
        """
        check_name(name)
        check_new_password(password)
        for team in teams:
            check_team(team)
        try:
            with self.engine.begin() as c:
                c.execute(
                    users.insert().values(name=name, password_hash=hash_password(password), created=_now())
                )
                # Rows an older dosecal left for a removed account of this name go first: a new
                # account never inherits another's teams or rights.
                c.execute(memberships.delete().where(memberships.c.user == name))
                c.execute(admins.delete().where(admins.c.user == name))
                for team in dict.fromkeys(teams):
                    c.execute(memberships.insert().values(user=name, team=team))
                if admin:
                    c.execute(admins.insert().values(user=name))
        except sa.exc.IntegrityError:
            raise StoreError(msg("error.users.exists", name=name)) from None

    def list(self) -> list[User]:
        """Every account, by name."""
        with self.engine.connect() as c:
            rows = c.execute(sa.select(users.c.name, users.c.created).order_by(users.c.name)).all()
        return [User(row.name, _aware(row.created)) for row in rows]

    def remove(self, name: str, *, keep_admin: bool = False) -> None:
        """Delete an account, its teams and rights, and end its sessions (the plans' history keeps the name).

        With ``keep_admin`` (the pages), removing the last administrator is refused, as
        :meth:`~dosecal.service.teams.Teams.make_admin` refuses taking her rights.

        Raises:
            StoreError: when there is no such account, or (``keep_admin``) it is the last
                administrator's; then nothing changes.
        """
        with self.engine.begin() as c:
            if keep_admin:
                lock_admins(c)
            c.execute(sessions.delete().where(sessions.c.user == name))
            if c.execute(users.delete().where(users.c.name == name)).rowcount != 1:
                raise StoreError(msg("error.users.no_user", name=name))
            c.execute(memberships.delete().where(memberships.c.user == name))
            was_admin = c.execute(admins.delete().where(admins.c.user == name)).rowcount
            if keep_admin and was_admin and not has_admin(c):
                raise StoreError(msg("error.teams.last_admin", name=name))

    def set_password(self, name: str, password: str) -> None:
        """Change a password and end every session of the account (a stolen cookie stops working).

        Raises:
            StoreError: when there is no such account, or the password is short.
        """
        check_new_password(password)
        with self.engine.begin() as c:
            done = c.execute(
                users.update().where(users.c.name == name).values(password_hash=hash_password(password))
            ).rowcount
            if done != 1:
                raise StoreError(msg("error.users.no_user", name=name))
            c.execute(sessions.delete().where(sessions.c.user == name))

    def authenticate(self, name: str, password: str) -> bool:
        """Whether ``name`` and ``password`` open an account; as slow for an unknown name.

        Call it inside :meth:`hashing`, which bounds how many run at once.
        """
        with self.engine.connect() as c:
            stored = c.execute(
                sa.select(users.c.password_hash).where(users.c.name == name)
            ).scalar_one_or_none()
        ok = verify_password(password, stored if stored is not None else _DUMMY)
        return ok and stored is not None

    @contextlib.contextmanager
    def hashing(self) -> Iterator[None]:
        """A slot to check a sign-in in: at most :data:`HASHING` at once in this process.

        Taken before the attempt is counted, so that a sign-in refused for want of a slot
        neither counts against the name nor holds a worker thread that the feeds need.

        Raises:
            Busy: when no slot frees within :data:`HASH_WAIT_SECONDS`.
        """
        if not _HASHING.acquire(timeout=HASH_WAIT_SECONDS):
            raise Busy(msg("error.users.busy"))
        try:
            yield
        finally:
            _HASHING.release()

    def attempt(self, name: str) -> bool:
        """Count a sign-in for ``name`` before its password is checked; ``False``: refused now.

        Counting first keeps the limit exact when many sign-ins for one name arrive at once:
        each takes its place in the count (one atomic increment) before any password is hashed,
        so at most :data:`MAX_FAILURES` passwords are checked within the window, whatever the
        concurrency; the last of them locks the name. A right password clears the count
        (:meth:`succeeded`). The count is kept in the database, under an HMAC of the name with
        the server's secret (a name typed by mistake is not kept readable, nor guessable from a
        list of names), so that every server process of the clinic counts the same attempts.
        """
        now = _now()
        window = timedelta(minutes=THROTTLE_MINUTES)
        named = self._key(name)
        key = signin_failures.c.name_hash == named
        fresh = {"failures": 1, "first": now, "locked_until": None}
        with _ATTEMPTS, self.engine.begin() as c:
            c.execute(signin_failures.delete().where(signin_failures.c.first < now - 2 * window, ~key))
            row = c.execute(sa.select(signin_failures).where(key).with_for_update()).one_or_none()
            if row is None:
                try:
                    with c.begin_nested():
                        c.execute(signin_failures.insert().values(name_hash=named, **fresh))
                    return True
                except sa.exc.IntegrityError:  # another server counted one meanwhile
                    row = c.execute(sa.select(signin_failures).where(key).with_for_update()).one()
            if row.locked_until is not None and _aware(row.locked_until) > now:
                return False
            if row.locked_until is not None or _aware(row.first) < now - window:
                c.execute(signin_failures.update().where(key).values(**fresh))
                return True
            count = c.execute(
                signin_failures.update()
                .where(key)
                .values(failures=signin_failures.c.failures + 1)
                .returning(signin_failures.c.failures)
            ).scalar_one()
            if count > MAX_FAILURES:
                c.execute(signin_failures.update().where(key).values(locked_until=now + window))
                return False
            if count == MAX_FAILURES:
                c.execute(signin_failures.update().where(key).values(locked_until=now + window))
            return True

    def succeeded(self, name: str) -> None:
        """Forget the failed sign-ins of ``name``."""
        with self.engine.begin() as c:
            c.execute(signin_failures.delete().where(signin_failures.c.name_hash == self._key(name)))

    def open_session(self, name: str) -> str:
        """A new session for ``name``: its id, for the cookie (only its hash is kept)."""
        session_id = secrets.token_urlsafe(32)
        with self.engine.begin() as c:
            # Sessions past their clinic day open nothing: delete them here, so that the table
            # holds only live sessions (who was signed in when is not kept beyond a day's work).
            c.execute(sessions.delete().where(sessions.c.created < _now() - timedelta(hours=SESSION_HOURS)))
            c.execute(sessions.insert().values(id_hash=_hash(session_id), user=name, created=_now()))
        return session_id

    def session_user(self, session_id: str) -> str | None:
        """Whose session ``session_id`` is; ``None`` once closed (signed out) or older than a day's work."""
        oldest = _now() - timedelta(hours=SESSION_HOURS)
        with self.engine.connect() as c:
            row = c.execute(
                sa.select(sessions.c.user, sessions.c.created).where(sessions.c.id_hash == _hash(session_id))
            ).one_or_none()
        if row is None or _aware(row.created) < oldest:
            return None
        return str(row.user)

    def close_session(self, session_id: str) -> None:
        """End a session: its cookie, replayed, opens nothing."""
        with self.engine.begin() as c:
            c.execute(sessions.delete().where(sessions.c.id_hash == _hash(session_id)))

    def _key(self, name: str) -> str:
        """The key a sign-in name is counted under: an HMAC with the server's secret."""
        if self._secret is None:
            self._secret = self.secret()
        return hmac.new(
            self._secret, b"signin\x00" + name.encode("utf-8", "replace"), hashlib.sha256
        ).hexdigest()

    def secret(self) -> bytes:
        """The key that signs session cookies: made once, kept in the database, shared by servers.

        A deployment may give it instead (:func:`dosecal.service.feedtokens.session_key`).
        """
        given = session_key()
        if given is not None:
            return given
        with self.engine.begin() as c:
            value = c.execute(
                sa.select(settings.c.value).where(settings.c.name == "secret_key")
            ).scalar_one_or_none()
            if value is None:
                value = secrets.token_hex(32)
                try:
                    with c.begin_nested():
                        c.execute(settings.insert().values(name="secret_key", value=value))
                except sa.exc.IntegrityError:  # another server made it meanwhile
                    value = c.execute(
                        sa.select(settings.c.value).where(settings.c.name == "secret_key")
                    ).scalar_one()
        return bytes.fromhex(value)


def _hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode("ascii", "replace")).hexdigest()


def _now() -> datetime:
    return datetime.now(UTC)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
