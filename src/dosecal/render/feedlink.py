"""A feed's links, as printed by ``store add`` and on the printable plan; no web framework needed."""

from __future__ import annotations


def links(public_url: str, token: str) -> tuple[str, str]:
    """A feed's two links: https (Outlook, Android, any browser) and webcal (Apple's one tap)."""
    https = f"{public_url.rstrip('/')}/feeds/{token}.ics"
    return https, webcal(https)


def webcal(url: str) -> str:
    """The ``webcal://`` form of a feed link: the scheme Apple's Calendar subscribes to in one tap."""
    _, sep, rest = url.partition("://")
    return f"webcal://{rest}" if sep else url
