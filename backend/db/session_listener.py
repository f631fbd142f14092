"""The connection of each process that hears session changes and clears its `SessionCache`.

One connection of its own per process (a pooled one would go back to the pool and stop hearing),
on a daemon thread, doing `LISTEN` on `SESSIONS_CHANGED`. While it is not listening (starting up,
connection lost, server restarting) the cache is suspended: every request asks the database.
It reconnects in the background, waiting longer after each failure.
"""

from __future__ import annotations

import logging
import selectors
import socket
import threading
from typing import Any

import psycopg

from backend.db.postgres import redact
from backend.db.session_cache import SESSIONS_CHANGED, SessionCache

logger = logging.getLogger(__name__)

# How the listener shows in `pg_stat_activity` (an operator, or a test, can find it there).
APPLICATION_NAME = "proctor-backend-listener"
# Waits between attempts to connect again: doubling from the first to the last.
FIRST_RETRY_S = 0.5
LAST_RETRY_S = 30.0


class SessionListener:
    """Clears `cache` at every session change any instance commits; suspends it when deaf."""

    def __init__(self, url: str, cache: SessionCache) -> None:
        """Listen on the PostgreSQL database at `url` for `cache` (call `start`)."""
        self._url = url
        self._cache = cache
        self._stop = threading.Event()
        # Written to by `stop` to wake the thread from its wait on the connection.
        self._wake_read, self._wake_write = socket.socketpair()
        self._thread = threading.Thread(target=self._run, name="session-listener", daemon=True)

    def start(self) -> None:
        """Connect and listen in the background."""
        self._thread.start()

    def stop(self) -> None:
        """Stop listening, close the connection and wait for the thread."""
        self._stop.set()
        self._wake_write.send(b"x")
        if self._thread.ident is not None:
            self._thread.join(timeout=15)
        self._wake_read.close()
        self._wake_write.close()

    def _run(self) -> None:
        try:
            self._listen_until_stopped()
        finally:
            # Also when something unforeseen ends the thread: a cache nobody clears is not used.
            self._cache.suspend()

    def _listen_until_stopped(self) -> None:
        delay = FIRST_RETRY_S
        deaf = False  # a WARNING was logged; the INFO follows when listening again
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    self._url,
                    autocommit=True,
                    application_name=APPLICATION_NAME,
                    connect_timeout=10,
                    # A connection that goes quiet without being closed (a cable pulled, a
                    # firewall dropping it) would hear nothing while seeming fine: TCP keepalives
                    # find it within ~1 minute; the cache's entry age bounds what it misses.
                    keepalives=1,
                    keepalives_idle=30,
                    keepalives_interval=10,
                    keepalives_count=3,
                ) as conn:
                    conn.execute(f"LISTEN {SESSIONS_CHANGED}")
                    # Only now are the changes committed from here on heard.
                    self._cache.resume()
                    delay = FIRST_RETRY_S
                    if deaf:
                        logger.info("Session cache on again: listening on %s", redact(self._url))
                        deaf = False
                    self._hear(conn)
            except psycopg.Error as exc:
                self._cache.suspend()
                if not deaf:
                    logger.warning(
                        "Session cache off, every request checks its session in the database, "
                        "until changes are heard again from %s: %s",
                        redact(self._url),
                        " ".join(str(exc).split()),
                    )
                    deaf = True
                self._stop.wait(delay)
                delay = min(delay * 2, LAST_RETRY_S)

    def _hear(self, conn: psycopg.Connection[Any]) -> None:
        """Clear the cache at each notification, until stopped; raises when the connection fails."""
        # A selector, not select(): a process serving a thousand workstations holds more than
        # the 1,024 descriptors select() can watch, and a reconnect may get a higher one.
        with selectors.DefaultSelector() as selector:
            selector.register(conn.fileno(), selectors.EVENT_READ, "connection")
            selector.register(self._wake_read, selectors.EVENT_READ, "stop")
            while not self._stop.is_set():
                ready = {key.data for key, _ in selector.select()}
                # What arrived on the connection: notifications, or its end (which raises).
                if "connection" in ready and list(conn.notifies(timeout=0)):
                    self._cache.invalidate()
