"""Active sessions remembered per process, so most authenticated requests skip the database.

Every authenticated request checks that its sign-in (token family) is still active and its user
still enabled: on PostgreSQL one round trip each, a quarter of an upload's. This cache remembers
the answer per family, and is trusted only while this process listens for the notification every
change of a session or of its user sends (`SESSIONS_CHANGED`, sent in the same transaction, so
delivered when it commits; see `backend.db.session_listener`). Any notification clears it all:
changes are rare (sign-outs, revocations, account changes), lookups are not.

A lookup stores what it read only if nothing cleared the cache since before it read (the
generation did not move): a revocation that commits while a lookup is in flight cannot be
overwritten by the answer the lookup read before it.
"""

from __future__ import annotations

import threading
import time

from backend.db.records import User

# The channel of the notification sent with every change that can end a session or change what
# the session check answers (a family revoked or deleted, a user changed).
SESSIONS_CHANGED = "proctor_sessions_changed"
# Families remembered per process: one per signed-in workstation of a large exam centre.
SESSIONS_KEPT = 10_000
# A safety net, not the mechanism: the notifications end a session at once. Should one ever be
# lost without the connection failing (which would clear the cache), an entry is still looked up
# again this often.
SESSION_MAX_AGE_S = 60.0


class SessionCache:
    """Family id -> the user its session check returned, while notifications are heard.

    Until `resume` (the listener's LISTEN succeeded) and after `suspend` (its connection lost),
    nothing is stored or found: every request asks the database, as without a cache. On SQLite it
    is never resumed (see `backend.app`).
    """

    def __init__(self, *, kept: int = SESSIONS_KEPT) -> None:
        """Keep up to `kept` sessions, each for at most `SESSION_MAX_AGE_S` seconds."""
        self._max_age_s = SESSION_MAX_AGE_S
        self._kept = kept
        self._entries: dict[str, tuple[User, float]] = {}
        self._generation = 0
        self._listening = False
        self._lock = threading.Lock()

    @property
    def listening(self) -> bool:
        """True while changes are heard, so entries are stored and used."""
        return self._listening

    def get(self, family_id: str, user_id: int) -> User | None:
        """The user of an active session of `user_id` remembered for `family_id`, else None."""
        entry = self._entries.get(family_id)
        if entry is None:
            return None
        user, stored_at = entry
        if user.id != user_id or time.monotonic() - stored_at > self._max_age_s:
            return None
        return user

    def mark(self) -> int:
        """Take this before reading a session from the database; hand it to `put`."""
        return self._generation

    def put(self, family_id: str, user: User, mark: int) -> None:
        """Remember that `family_id` is an active session of `user`, as read after `mark`.

        Dropped if the cache was cleared since `mark` (what was read may be stale already), or
        while changes are not heard.
        """
        with self._lock:
            if self._generation != mark or not self._listening:
                return
            if len(self._entries) >= self._kept and family_id not in self._entries:
                # Bounded: the oldest entry goes (dicts keep insertion order).
                self._entries.pop(next(iter(self._entries)), None)
            self._entries[family_id] = (user, time.monotonic())

    def invalidate(self) -> None:
        """Forget every session: one changed (here, or on another instance)."""
        with self._lock:
            self._generation += 1
            self._entries.clear()

    def resume(self) -> None:
        """Changes are heard from now on (LISTEN succeeded): start remembering, from empty."""
        with self._lock:
            self._generation += 1
            self._entries.clear()
            self._listening = True

    def suspend(self) -> None:
        """Changes are no longer heard: forget everything and store nothing until `resume`."""
        with self._lock:
            self._listening = False
            self._generation += 1
            self._entries.clear()
