"""``python -m dosecal`` runs the command line."""

from __future__ import annotations

from dosecal.cli import main

# Guarded: the PDF worker's render process (multiprocessing, spawn) imports the main module again.
if __name__ == "__main__":
    main()
