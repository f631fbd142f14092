"""Hostile filenames and exam ids: refused or cleaned; nothing lands outside the user's prefix.

Checked end to end: each accepted name is uploaded and completed, then the bucket itself is listed.
"""

from __future__ import annotations

import re
import unicodedata

import pytest
import requests

from tests.security.client import ApiUser, Stack, error_code

pytestmark = pytest.mark.integration

# Characters that look like a path separator (TR39 confusables of / and \) without being one.
SLASH_LOOKALIKES = "\u2044\u2215\u29f8\u2571\uff0f\u2216\u29f5\u29f9\ufe68\uff3c"

HOSTILE_NAMES = [
    "../../bob/webcam.webm",
    "..\\..\\bob\\webcam.webm",
    "/etc/passwd",
    "C:\\Windows\\webcam.webm",
    "\\\\server\\share\\webcam.webm",
    "webcam\x00.webm",
    "webcam\r\nSet-Cookie: a=b.webm",
    "webcam\t.webm",
    "webcam\x7f.webm",
    "webcam\x85.webm",  # NEL, a C1 control
    "exam\u202egpj.exe",  # right-to-left override: shows as "exam" + "exe.jpg"
    "exam\u200fx.webm",  # right-to-left mark
    "exam\u2066x\u2069.webm",  # directional isolates
    "webcam\u200b.webm",  # zero-width space
    "\ufeffwebcam.webm",  # byte-order mark
    "web\u2028cam.webm",  # line separator
    "..\uff0f..\uff0fbob\uff0fwebcam.webm",  # fullwidth solidus
    "..\u2215..\u2215bob\u2215webcam.webm",  # division slash
    "..\u2044bob\u2044webcam.webm",  # fraction slash
    "..\uff3cbob\uff3cwebcam.webm",  # fullwidth reverse solidus
    "\uff0e\uff0e\uff0fbob.webm",  # fullwidth full stops and solidus
    "\u2025",  # two-dot leader: NFKC ".."
    "\u2025\uff0fbob.webm",
    "\uff52\uff45\uff43.webm",  # fullwidth letters: harmless, kept or folded
    "\u0430lice.webm",  # Cyrillic a: a harmless look-alike within the name
    "e\u0301preuve.webm",  # NFD accent
    ".hidden.webm",
    "...",
    "x%2F..%2Fbob.webm",
    "webcam?.webm",
    "a" * 255,
    "a" * 256,
    "\ud55c" * 85,  # 255 bytes of Hangul
    "\U0001f600" * 64,  # 256 bytes of emoji
    "CON.webm",
    "webcam.webm " + "x" * 200,
]


def _check_key(key: str, username: str) -> None:
    match = re.fullmatch(r"recordings/webcam/\d{4}/\d{2}/\d{2}/EXAM-1/([^/]+)/([^/]+)", key)
    assert match, key
    assert match[1] == username, key
    name = match[2]
    folded = unicodedata.normalize("NFKC", name)
    assert name == unicodedata.normalize("NFC", name), key
    assert len(name.encode("utf-8")) <= 255, key
    assert "\\" not in folded, key
    assert "/" not in folded, key
    assert not set(name) & set(SLASH_LOOKALIKES), key
    assert not folded.startswith("."), key
    for ch in name:
        category = unicodedata.category(ch)
        assert category not in ("Cc", "Cs", "Co", "Zl", "Zp"), (key, ch)
        assert category != "Cf" or ch == "\u200d", (key, hex(ord(ch)))


def _upload_one_byte(user: ApiUser, filename: str) -> str | None:
    """Create, upload and complete; the object key, or None if the name was refused."""
    created = user.create(1, filename=filename)
    if created.status_code == 422:
        assert error_code(created) == "invalid_request"
        return None
    assert created.status_code == 201, (filename, created.text)
    upload_id, key = created.json()["upload_id"], created.json()["key"]
    _check_key(key, user.username)
    etag = user.put_part(upload_id, 1, b"x")
    done = user.complete(upload_id, [(1, etag)])
    assert done.status_code == 200, (filename, done.text)
    assert done.json()["key"] == key
    return str(key)


def test_hostile_filenames_never_leave_the_users_prefix(any_stack: Stack) -> None:
    alice = any_stack.user("alice")
    stored = [k for name in HOSTILE_NAMES if (k := _upload_one_byte(alice, name)) is not None]
    assert stored, "every name was refused: the check of stored keys would be vacuous"
    keys = any_stack.keys()
    assert sorted(keys) == sorted(stored)  # what storage holds is exactly what was reported
    assert len(set(keys)) == len(keys)
    for key in keys:
        _check_key(key, "alice")
    assert any_stack.open_uploads() == []


def test_hostile_names_in_the_single_put_route_stay_in_the_prefix(any_stack: Stack) -> None:
    alice = any_stack.user("alice")
    accepted = 0
    for name in HOSTILE_NAMES:
        resp = alice.call(
            "POST", "/files/presigned-url", {"fileName": name, "examId": "EXAM-1", "kind": "webcam"}
        )
        if resp.status_code == 422:
            continue
        assert resp.status_code == 200, (name, resp.text)
        body = resp.json()
        _check_key(body["key"], "alice")
        put = requests.put(body["uploadUrl"], data=b"y", headers=body["headers"], timeout=60)
        assert put.status_code == 200, (name, put.text)
        accepted += 1
    keys = any_stack.keys()
    assert len(keys) == accepted > 0
    for key in keys:
        _check_key(key, "alice")


@pytest.mark.parametrize(
    "exam_id",
    [
        "../bob",
        "..",
        "EXAM-1/../../bob",
        "EXAM/1",
        "EXAM\\1",
        "EXAM\u22151",
        "\uff25\uff38\uff21\uff2d",  # fullwidth EXAM
        "EXAM\x00",
        "EXAM\u202e1",
        "-rf",
        ".hidden",
        "E" * 129,
        "",
        " EXAM",
    ],
)
def test_hostile_exam_ids_are_refused_and_create_nothing(stack: Stack, exam_id: str) -> None:
    alice = stack.user("alice")
    resp = alice.create(1, exam_id=exam_id)
    assert resp.status_code == 422, resp.text
    assert error_code(resp) == "invalid_request"
    single = alice.call(
        "POST", "/files/presigned-url", {"fileName": "a.webm", "examId": exam_id, "kind": "webcam"}
    )
    assert single.status_code == 422, single.text
    assert alice.call("GET", "/uploads").json()["uploads"] == []
    assert stack.open_uploads() == []
