"""Filename rules and key building (pure functions, property-tested)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime
from itertools import islice

import pytest
from hypothesis import given
from hypothesis import strategies as st

from backend.keys import (
    JOINERS,
    MAX_FILENAME_BYTES,
    candidate_keys,
    object_key,
    sanitise_filename,
    validate_exam_id,
    validate_filename,
    validate_username,
)


@given(st.text(min_size=1, max_size=300))
def test_a_sanitised_name_is_always_one_safe_key_segment(name: str) -> None:
    try:
        clean = sanitise_filename(name)
    except ValueError:
        return
    assert clean
    assert "/" not in clean
    assert "\\" not in clean
    assert clean not in (".", "..")
    assert not clean.startswith(".")
    assert len(clean.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert all(
        unicodedata.category(ch) not in ("Cc", "Cf", "Zl", "Zp") or ch in JOINERS for ch in clean
    )
    assert not any(ch.isspace() for ch in clean)
    assert sanitise_filename(clean) == clean  # idempotent


@pytest.mark.parametrize(
    ("name", "clean"),
    [
        ("webcam.webm", "webcam.webm"),
        (
            "Screen Recording 2026-06-01 at 10.00.00.mov",
            "Screen_Recording_2026-06-01_at_10.00.00.mov",
        ),
        ("시험 녹화.mp4", "시험_녹화.mp4"),
        ("e\u0301cran.webm", "\u00e9cran.webm"),  # NFC: one letter, not letter + accent
        ("what?*:|<>.webm", "what_.webm"),
        ("trailing dots...", "trailing_dots"),
    ],
)
def test_examples(name: str, clean: str) -> None:
    assert sanitise_filename(name) == clean


def test_key_layout_puts_kind_first_for_retention() -> None:
    key = object_key(
        kind="screen",
        exam_id="MATH-101.final",
        username="alice",
        filename="s.webm",
        when=datetime(2026, 6, 1, 23, 59, tzinfo=UTC),
    )
    assert key == "recordings/screen/2026/06/01/MATH-101.final/alice/s.webm"
    with pytest.raises(ValueError, match="kind"):
        object_key(kind="audio", exam_id="E", username="a", filename="f", when=datetime.now(UTC))


def test_candidates_keep_the_extension_and_the_byte_limit() -> None:
    first = list(islice(candidate_keys("p/a/rec.webm"), 3))
    assert first == ["p/a/rec.webm", "p/a/rec-2.webm", "p/a/rec-3.webm"]
    long_name = "가" * 80 + ".webm"  # 245 bytes
    for key in islice(candidate_keys("p/" + long_name), 200):
        name = key.split("/", 1)[1]
        assert len(name.encode()) <= MAX_FILENAME_BYTES
        assert name.endswith(".webm")
    assert len(set(islice(candidate_keys("p/x"), 1000))) == 1000


@pytest.mark.parametrize("exam_id", ["", "a b", "../x", "x/y", "a..b", ".x", "x" * 129, "é"])
def test_bad_exam_ids(exam_id: str) -> None:
    with pytest.raises(ValueError, match="exam_id"):
        validate_exam_id(exam_id)


@pytest.mark.parametrize(
    ("raw", "name"), [("Alice", "alice"), (" bob.k ", "bob.k"), ("c_1-x", "c_1-x")]
)
def test_usernames_are_lower_cased(raw: str, name: str) -> None:
    assert validate_username(raw) == name


@pytest.mark.parametrize("raw", ["", "-a", "a b", "a/b", "..", "a..b", "x" * 65, "é"])
def test_bad_usernames(raw: str) -> None:
    with pytest.raises(ValueError, match="username"):
        validate_username(raw)


@pytest.mark.parametrize(
    "name",
    ["\u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645.webm", "\U0001f469\u200d\U0001f4bb.mp4"],
)
def test_zero_width_joiners_that_scripts_and_emoji_need_are_kept(name: str) -> None:
    assert sanitise_filename(name) == name


@pytest.mark.parametrize("bad", ["\u202eevil.webm", "a\u2060b.webm", "a\ufeffb.webm"])
def test_other_format_characters_are_refused(bad: str) -> None:
    with pytest.raises(ValueError, match="control characters"):
        validate_filename(bad)
