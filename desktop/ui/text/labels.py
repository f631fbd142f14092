"""Human text for numbers, times and job states, in the user's language.

Sizes follow `desktop.sizes` (KiB, MiB, GiB: the command line writes them the same way), with the
locale's decimal separator.
"""

from __future__ import annotations

import math

from PySide6.QtCore import QCoreApplication, QLocale

from desktop import sizes
from desktop.engine.events import JobState
from desktop.ui.text.plurals import plurals


def format_number(value: float, decimals: int = 0) -> str:
    """`value` with the current locale's decimal separator."""
    return QLocale().toString(float(value), "f", decimals)


def format_size(size: float) -> str:
    """`1.4 GiB`, `820 KiB`, `0 B`: three significant digits at most."""
    return sizes.format_size(size, format_number)


def format_speed(bytes_per_second: float) -> str:
    """`12.3 MiB/s`; empty when there is no speed to show."""
    if bytes_per_second <= 0 or not math.isfinite(bytes_per_second):
        return ""
    return QCoreApplication.translate("text", "{size}/s").format(size=format_size(bytes_per_second))


def format_duration(seconds: float | None) -> str:
    """A calm estimate: "under a minute", "about 5 min", "about 2 h 10 min"; "" if unknown."""
    if seconds is None or not math.isfinite(seconds) or seconds < 0:
        return ""
    if seconds < 60:
        return QCoreApplication.translate("text", "under a minute")
    minutes = math.ceil(seconds / 60)
    if minutes < 60:
        return plurals().about_minutes(minutes)
    hours, minutes = divmod(minutes, 60)
    if hours >= 48:
        return plurals().about_days(round(hours / 24))
    if minutes == 0:
        return plurals().about_hours(hours)
    return QCoreApplication.translate("text", "about {hours} h {minutes} min").format(
        hours=hours, minutes=minutes
    )


def kind_label(kind: str) -> str:
    """The human name of a recording kind."""
    labels = {
        "webcam": QCoreApplication.translate("text", "Webcam"),
        "screen": QCoreApplication.translate("text", "Screen"),
        "other": QCoreApplication.translate("text", "Other"),
    }
    return labels.get(kind, kind)


def state_label(state: JobState) -> str:
    """The short human status of a job in `state`."""
    labels = {
        JobState.QUEUED: QCoreApplication.translate("text", "Waiting to start"),
        JobState.UPLOADING: QCoreApplication.translate("text", "Uploading"),
        JobState.PAUSED: QCoreApplication.translate("text", "Paused"),
        JobState.WAITING_NETWORK: QCoreApplication.translate("text", "Waiting for the network"),
        JobState.NEEDS_LOGIN: QCoreApplication.translate("text", "Sign-in needed"),
        JobState.VERIFYING: QCoreApplication.translate("text", "Checking the upload"),
        JobState.COMPLETED: QCoreApplication.translate("text", "Uploaded"),
        JobState.FAILED: QCoreApplication.translate("text", "Failed"),
        JobState.CANCELLED: QCoreApplication.translate("text", "Cancelled"),
        JobState.SOURCE_CHANGED: QCoreApplication.translate("text", "File changed"),
    }
    return labels[state]


def recording_label(sent: int) -> str:
    """The status of a recording that is followed while it is being written."""
    return QCoreApplication.translate("text", "Recording — {sent} sent").format(
        sent=format_size(sent)
    )


def retrying_label() -> str:
    """The status of an upload that hit a setback and is being retried."""
    return QCoreApplication.translate("text", "Retrying")
