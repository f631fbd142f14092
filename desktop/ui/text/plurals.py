"""Plural texts used outside widgets ("1 file" / "2 files", "about 3 min").

They live in one QObject so they go through `self.tr(..., n)`: Qt's Python lupdate (6.11)
recognises a plural only in that form, not in `QCoreApplication.translate(ctx, text, None, n)`
with a computed `n`, and would silently drop those strings from the catalogue.
"""

from __future__ import annotations

import functools

from PySide6.QtCore import QObject


class Plurals(QObject):
    """Every plural text that free functions need; use `plurals()` to get the instance."""

    def files_paused(self, n: int) -> str:
        """ "3 files paused"."""
        return self.tr("%n file(s) paused", "", n)

    def files_need_attention(self, n: int) -> str:
        """ "2 files need attention"."""
        return self.tr("%n file(s) need attention", "", n)

    def files_already_queued(self, n: int) -> str:
        """ "2 files are already in the queue"."""
        return self.tr("%n file(s) already in the queue", "", n)

    def files_not_added(self, n: int) -> str:
        """ "2 files could not be added"."""
        return self.tr("%n file(s) could not be added", "", n)

    def recordings_verified_at(self, n: int, time: str) -> str:
        """ "8 recordings uploaded and verified at 14:32"."""
        return self.tr("%n recording(s) uploaded and verified at {time}", "", n).format(time=time)

    def about_minutes(self, n: int) -> str:
        """ "about 5 min"."""
        return self.tr("about %n min", "duration", n)

    def about_hours(self, n: int) -> str:
        """ "about 2 h"."""
        return self.tr("about %n h", "duration", n)

    def about_days(self, n: int) -> str:
        """ "about 3 days"."""
        return self.tr("about %n days", "duration", n)


@functools.cache
def plurals() -> Plurals:
    """The shared instance (create it after the QApplication)."""
    return Plurals()
