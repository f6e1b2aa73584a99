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


def on_sigterm() -> None:
    """Make SIGTERM raise :class:`Terminated` in the main thread, so that temporary files go."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, _terminate)
