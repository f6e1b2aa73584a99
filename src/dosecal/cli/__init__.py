"""The command line: one module per command group, each imported when its command runs.

``dosecal --version`` imports click and this module only; ``list`` and ``show`` the definitions
and the words, no renderer; ``generate`` the renderers of the formats it writes; the plan store,
the web app, WeasyPrint and the CalDAV client only the commands that use them. Thin on purpose:
each command parses, calls the library and writes; :mod:`dosecal.cli.common` maps every error to
its exit status in one place.
"""

from __future__ import annotations

import importlib

import click

from dosecal import __version__
from dosecal.cli.signals import Terminated, interrupted, on_sigterm

#: Each command: the module that defines it, and its name there.
COMMANDS = {
    "adjust": ("dosecal.cli.generate", "adjust"),
    "audit": ("dosecal.cli.audit", "audit"),
    "check": ("dosecal.cli.schedules", "check"),
    "db": ("dosecal.cli.db", "db"),
    "fhir": ("dosecal.cli.fhir", "fhir"),
    "generate": ("dosecal.cli.generate", "generate"),
    "list": ("dosecal.cli.schedules", "list_"),
    "publish": ("dosecal.cli.publish", "publish"),
    "serve": ("dosecal.cli.serve", "serve"),
    "show": ("dosecal.cli.schedules", "show"),
    "store": ("dosecal.cli.store", "store"),
    "users": ("dosecal.cli.users", "users"),
}


class LazyGroup(click.Group):
    """A group whose commands are imported when asked for, so that each loads what it uses."""

    def list_commands(self, ctx: click.Context) -> list[str]:  # noqa: ARG002 (click's signature)
        """Every command's name, sorted: no module is imported to list them."""
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:  # noqa: ARG002
        """The command ``cmd_name``, its module imported now; ``None`` for an unknown name."""
        if cmd_name not in COMMANDS:
            return None
        module, attr = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attr)
        return command

    def invoke(self, ctx: click.Context) -> object:
        """Run the command; Ctrl-C or SIGTERM while its modules load ends it as during its work."""
        on_sigterm()
        try:
            return super().invoke(ctx)
        except (KeyboardInterrupt, Terminated) as exc:
            interrupted(exc)


@click.group(
    cls=LazyGroup,
    context_settings={"help_option_names": ["-h", "--help"]},
    epilog="\b\nExamples:\n"
    "  dosecal generate dasatinib --start 2027-01-04 --tz America/Toronto -o dasatinib.ics\n"
    "  dosecal generate dasatinib --start 2027-01-04 --tz America/Montreal --lang fr -o dasatinib.pdf",
)
@click.version_option(__version__, prog_name="dosecal")
@click.option("--debug", is_flag=True, help="Show the traceback of an unexpected error (to report it).")
def main(debug: bool) -> None:
    """Turn cancer treatment schedules into calendars and printable plans.

    dosecal shows a schedule; it does not prescribe. Follow your care team's instructions.

    Everything a reader sees is in English unless --lang fr (Canadian French) or --lang fr+en
    (a printout in both) is given, or the plan file says language = "fr".
    """
