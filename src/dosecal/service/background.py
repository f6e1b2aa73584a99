"""Work a server does between requests, on a thread of its own, so that no request waits for it.

Each job runs again ``every`` seconds after it ends; a job that fails (the database restarting,
a plan that no longer expands) is logged and tried again next time, never taking the server
down. :meth:`Periodic.stop` ends the loop at once, whatever the wait.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger("dosecal.background")


class Periodic:
    """Run ``job`` every ``every`` seconds on a daemon thread until :meth:`stop`."""

    def __init__(self, name: str, every: float, job: Callable[[], object]) -> None:
        self.name = name
        self.every = every
        self.job = job
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name=f"dosecal-{name}", daemon=True)

    def start(self) -> Periodic:
        """Start the loop (its first run is right away)."""
        self._thread.start()
        return self

    def stop(self, wait: float = 5) -> None:
        """End the loop; wait up to ``wait`` seconds for a run in progress."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(wait)

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                self.job()
            except Exception:  # a job's failure is logged, and it runs again next time
                log.exception("background job %s failed; it runs again in %s s", self.name, self.every)
            self._stop.wait(self.every)
