"""Ctrl-C and SIGTERM: the command ends saying so, and every ``finally`` runs first.

Light on purpose (no dosecal import at module level): the handler is set before a command's
modules are imported, so that a signal while they load ends the program like one during its work.
"""

from __future__ import annotations

import signal
import sys
import threading
from typing import NoReturn

import click

#: Exit status after SIGINT (Ctrl-C) and SIGTERM, as a shell reports them (128 + signal).
INTERRUPTED = 130
TERMINATED = 143


class Terminated(SystemExit):
    """SIGTERM, raised where the program is, so that every ``finally`` runs (temporary files go).

    A SystemExit, so that even outside a command (while click parses) it ends the program
    quietly with status 143 instead of a traceback.
    """


def _terminate(_signum: int, _frame: object) -> None:
    """The SIGTERM handler: see :class:`Terminated`."""
    raise Terminated(TERMINATED)


def interrupted(exc: KeyboardInterrupt | Terminated) -> NoReturn:
    """Say the command was interrupted and exit as a shell reports the signal (130 or 143)."""
    from dosecal.words import say  # here: a signal may come before the words are imported

    click.echo(f"dosecal: {say('error.cli.interrupted')}", err=True)
    sys.exit(TERMINATED if isinstance(exc, Terminated) else INTERRUPTED)


#: A Ctrl-C or SIGTERM that Python could not raise where it came (see :func:`_unraisable`).
_lost: KeyboardInterrupt | Terminated | None = None


def _unraisable(hook: sys.UnraisableHookArgs) -> None:
    """Keep a signal that came while Python ran a finalizer, instead of printing and losing it.

    Python raises a signal's exception wherever the program is; inside a finalizer (a weakref
    callback while a module loads, a ``__del__``) it cannot, prints "Exception ignored" with a
    traceback and goes on: the command would finish as if never interrupted. It is kept here
    instead, quietly, and :func:`raise_lost` raises it at the next point that checks.
    """
    global _lost
    if isinstance(hook.exc_value, KeyboardInterrupt | Terminated):
        _lost = hook.exc_value
        return
    sys.__unraisablehook__(hook)


def raise_lost() -> None:
    """Raise a signal that came inside a finalizer, once: called before an output is replaced."""
    global _lost
    lost, _lost = _lost, None
    if lost is not None:
        raise lost


def on_sigterm() -> None:
    """Make SIGTERM raise :class:`Terminated` in the main thread, so that temporary files go.

    A signal that comes inside a finalizer is kept rather than lost (:func:`raise_lost`).
    """
    sys.unraisablehook = _unraisable
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
