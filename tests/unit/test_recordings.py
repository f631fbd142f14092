"""What a recording is: one rule for the engine, the settings, the CLI and the app."""

from __future__ import annotations

from pathlib import Path
from typing import get_args

import pytest

from backend import keys, models
from desktop.recordings import DEFAULT_KIND, KINDS, guess_kind, is_recording, kind_for


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("webcam.mp4", True),
        ("SCREEN.WEBM", True),
        ("audio.m4a", True),
        ("report.pdf", False),
        ("clip.mp4.crdownload", False),
        (".DS_Store", False),
        ("~$lock.mp4", False),
    ],
)
def test_is_recording(name: str, expected: bool) -> None:
    assert is_recording(Path(name)) is expected


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("webcam_candidate_001.mp4", "webcam"),
        ("Web-Cam 2.mkv", "webcam"),
        ("student_face.webm", "webcam"),
        ("cam.mp4", "webcam"),
        ("Screen Recording 2024-05-01.mov", "screen"),
        ("desktop-capture.mp4", "screen"),
        ("exam_001.mp4", None),
        ("camembert.mp4", None),  # "cam" only as a word of its own
    ],
)
def test_the_file_name_suggests_a_kind(name: str, kind: str | None) -> None:
    assert guess_kind(name) == kind


def test_the_backend_accepts_exactly_these_kinds() -> None:
    # The backend keeps its own copy (the two packages never import each other); this keeps the
    # copies in step.
    assert set(KINDS) == set(keys.KINDS) == set(get_args(models.Kind))
    assert DEFAULT_KIND in KINDS


@pytest.mark.parametrize(
    ("name", "chosen", "kind"),
    [
        ("other_screen.mkv", None, "screen"),
        ("Webcam_014.mp4", None, "webcam"),
        ("room.mp4", None, "other"),
        ("other_screen.mkv", "webcam", "webcam"),  # a kind chosen for the file wins
    ],
)
def test_kind_for_a_file(name: str, chosen: str | None, kind: str) -> None:
    assert kind_for(name, chosen) == kind
