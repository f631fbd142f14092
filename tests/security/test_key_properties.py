"""Properties of the backend's key sanitiser over arbitrary Unicode (hypothesis)."""

from __future__ import annotations

import unicodedata
from datetime import UTC, datetime

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from backend.keys import MAX_FILENAME_BYTES, object_key, sanitise_filename, validate_filename

# Bias towards the characters that matter: separators, dots, controls, bidi marks, look-alikes.
_TRICKY = st.sampled_from(
    [
        *"/\\.:%?#*\x00\n\r\t\x7f\x85 ",
        *("\u202e", "\u200f", "\u2066", "\u200b", "\ufeff", "\u2028", "\u200d"),
        *("\uff0f", "\uff3c", "\uff0e", "\u2025", "\u2026", "\u2044", "\u2215", "\u2216"),
        *("\ufe68", "e\u0301", "\u0430", "\ud55c", "\U0001f600", "\u00a0", "\u3000"),
    ]
)
NAMES = st.lists(st.one_of(_TRICKY, st.characters()), max_size=80).map("".join)
SETTINGS = settings(
    max_examples=600, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow]
)


def _sanitised(name: str) -> str | None:
    try:
        return sanitise_filename(name)
    except ValueError:
        return None


@SETTINGS
@given(NAMES)
@example("..\uff0f..\uff0fbob\uff0fx.webm")
@example("\u2025")
@example("a" * 255)
def test_a_sanitised_name_is_one_safe_key_segment(name: str) -> None:
    clean = _sanitised(name)
    if clean is None:
        return
    folded = unicodedata.normalize("NFKC", clean)
    assert clean
    assert clean == unicodedata.normalize("NFC", clean)
    assert len(clean.encode("utf-8")) <= MAX_FILENAME_BYTES
    assert "/" not in folded
    assert "\\" not in folded
    assert not folded.startswith(".")
    assert not clean.endswith((".", "_"))
    for ch in clean:
        assert unicodedata.category(ch) not in ("Cc", "Cs", "Zl", "Zp")
        assert unicodedata.category(ch) != "Cf" or ch == "\u200d"


@SETTINGS
@given(NAMES)
def test_sanitising_is_idempotent_and_never_raises_anything_but_value_error(name: str) -> None:
    clean = _sanitised(name)
    if clean is not None:
        assert sanitise_filename(clean) == clean
        assert validate_filename(clean) == clean


@SETTINGS
@given(NAMES, st.sampled_from(["alice", "bob", "a.b-c_d"]))
def test_the_key_is_always_inside_the_users_prefix(name: str, username: str) -> None:
    clean = _sanitised(name)
    if clean is None:
        return
    when = datetime(2026, 1, 2, tzinfo=UTC)
    key = object_key(kind="screen", exam_id="EX-1", username=username, filename=clean, when=when)
    prefix = f"recordings/screen/2026/01/02/EX-1/{username}/"
    assert key == prefix + clean
    assert key.count("/") == prefix.count("/")
    assert ".." not in unicodedata.normalize("NFKC", key).split("/")


@settings(max_examples=300, deadline=None, database=None)
@given(st.text(alphabet=st.characters(codec="ascii"), max_size=40))
def test_ascii_letters_and_digits_always_survive(name: str) -> None:
    """Cleaning may drop punctuation but never loses the letters and digits of a name."""
    clean = _sanitised(name)
    if clean is None:
        assert _refused(name) or not any(c.isalnum() for c in name)
        return
    assert [c for c in clean if c.isalnum()] == [c for c in name if c.isalnum()]


def _refused(name: str) -> bool:
    try:
        validate_filename(name)
    except ValueError:
        return True
    return False
