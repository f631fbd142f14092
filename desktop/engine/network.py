"""Waiting for the network: probe the backend's ``GET /health`` with backoff until it answers.

The queue enters ``waiting_network`` when a transfer or a backend call fails at the transport level
and a probe confirms the backend is unreachable. The watcher then probes on its own thread (1 s, 2
s, 4 s … capped) and calls back once the server answers, so uploads resume by themselves, however
long the outage lasted: an offline hour is a wait, never a failure.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from desktop.engine.retry import Backoff
from desktop.errors import UploaderError

logger = logging.getLogger(__name__)


class NetworkWatcher:
    """Probes until the server answers, then calls `on_online` once per outage."""

    def __init__(
        self,
        probe: Callable[[], object],
        on_online: Callable[[], None],
        *,
        backoff: Backoff | None = None,
    ) -> None:
        """Create an idle watcher.

        Args:
            probe: One health request; raises :class:`UploaderError` when the server is unreachable.
            on_online: Called from the watcher thread once the probe succeeds.
            backoff: Waits between probes.
        """
        self._probe = probe
        self._on_online = on_online
        self._backoff = backoff or Backoff(base=1.0, cap=30.0)
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        # Set when a start() arrives while the loop is already calling back: the callback restarts
        # uploads, and one of them may meet the network down again before the thread has ended.
        self._again = False

    def check(self) -> bool:
        """Probe once, now; True when the server answered."""
        try:
            self._probe()
        except UploaderError as exc:
            logger.info("network probe failed: %s", type(exc).__name__)
            return False
        return True

    @property
    def watching(self) -> bool:
        """Whether a probe loop is running."""
        with self._lock:
            return self._thread is not None

    def start(self) -> None:
        """Start probing in the background; when already probing, make sure the loop probes on
        after any callback in progress rather than ending with it."""
        with self._lock:
            if self._thread is not None:
                self._again = True
                return
            self._stop.clear()
            self._again = False
            self._thread = threading.Thread(target=self._loop, name="network-watch", daemon=True)
            self._thread.start()

    def _loop(self) -> None:
        try:
            self._probe_until_online()
        finally:
            with self._lock:
                self._thread = None

    def _probe_until_online(self) -> None:
        attempt = 0
        while not self._stop.is_set():
            attempt += 1
            if self._stop.wait(self._backoff.delay(attempt)):
                return
            with self._lock:
                self._again = False
            if not self.check():
                continue
            logger.info("server reachable again after %d probes", attempt)
            self._on_online()
            with self._lock:
                if not self._again:
                    return
            # The network went down again while uploads were restarting: probe on, from the start.
            attempt = 0

    def stop(self, timeout: float | None = 5.0) -> None:
        """Stop probing and join the thread."""
        self._stop.set()
        with self._lock:
            thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)
