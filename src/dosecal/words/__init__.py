"""Where words come from: the message catalogue, and the Language that renders messages.

Every sentence a reader sees is a message of :mod:`dosecal.words.catalogue` or a text of a
schedule definition; :mod:`dosecal.words.language` turns both into a reader's words with gettext
catalogues (``words/locale``) and Babel's locale data. The bottom layer: it imports nothing else
of dosecal, and every other layer may use it.
"""

from __future__ import annotations

from dosecal.words.language import (
    CONTENT,
    DOMAIN,
    ENGLISH,
    LANGUAGE_CHOICES,
    LOCALES,
    Cap,
    Content,
    Language,
    Msg,
    PseudoLanguage,
    Seq,
    Text,
    Value,
    language,
    languages,
    locale_dir,
    msg,
    pseudo,
    say,
)

__all__ = [
    "CONTENT",
    "DOMAIN",
    "ENGLISH",
    "LANGUAGE_CHOICES",
    "LOCALES",
    "Cap",
    "Content",
    "Language",
    "Msg",
    "PseudoLanguage",
    "Seq",
    "Text",
    "Value",
    "language",
    "languages",
    "locale_dir",
    "msg",
    "pseudo",
    "say",
]
