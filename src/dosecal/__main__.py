"""``python -m dosecal`` runs the command line."""

from __future__ import annotations

from dosecal.cli import main

main()
