"""Parsing the backend's JSON into models: the shapes the contract promises, and broken ones."""

from __future__ import annotations

from typing import Any

import pytest

from desktop.api.models import (
    CreatedUpload,
    RemotePart,
    SignedPart,
    SignedParts,
    TokenPair,
    UploadPage,
    UploadReceipt,
    UploadSummary,
    User,
)
from desktop.errors import BackendError


def test_token_pair_hides_its_tokens() -> None:
    pair = TokenPair.from_json(
        {"access_token": "acc", "refresh_token": "ref", "token_type": "bearer", "expires_in": 900}
    )
    assert (pair.access_token, pair.refresh_token, pair.expires_in) == ("acc", "ref", 900)
    assert "acc" not in repr(pair)
    assert "ref" not in repr(pair)


def test_created_upload_and_user() -> None:
    created = CreatedUpload.from_json(
        {"upload_id": "u1", "key": "k", "part_size": 5, "part_count": 0, "url_ttl_seconds": 900}
    )
    assert created == CreatedUpload("u1", "k", 5, 0, 900)
    assert User.from_json({"username": "alice", "role": "admin", "extra": 1}) == User(
        "alice", "admin"
    )


def test_signed_parts_keep_headers_and_hide_urls() -> None:
    signed = SignedParts.from_json(
        {
            "parts": [
                {"part_number": 1, "url": "https://s3/x?X-Amz-Signature=s", "headers": {}},
                {"part_number": 2, "url": "https://s3/y", "headers": {"Content-MD5": "abc=="}},
                {"part_number": 3, "url": "https://s3/z"},
            ],
            "expires_at": "2030-01-01T00:00:00Z",
        }
    )
    assert [p.part_number for p in signed.parts] == [1, 2, 3]
    assert signed.parts[1].headers == {"Content-MD5": "abc=="}
    assert signed.parts[2].headers == {}
    assert "X-Amz-Signature" not in repr(signed)


def test_etags_lose_their_quotes() -> None:
    assert RemotePart.from_json({"part_number": 1, "etag": '"abc"', "size": 3}).etag == "abc"
    receipt = UploadReceipt.from_json(
        {
            "upload_id": "u",
            "key": "k",
            "size": 3,
            "etag": '"abc-2"',
            "sha256": None,
            "completed_at": "t",
            "bucket": "b",
        }
    )
    assert receipt.etag == "abc-2"
    assert receipt.sha256 is None


def test_upload_page_reads_the_backend_listing() -> None:
    page = UploadPage.from_json(
        {
            "uploads": [
                {
                    "upload_id": "u",
                    "key": "k",
                    "filename": "f.mp4",
                    "size": 10,
                    "content_type": "video/mp4",
                    "part_size": 5,
                    "part_count": 2,
                    "status": "completed",
                    "owner": "alice",
                    "metadata": {"exam_id": "e1", "kind": "screen"},
                    "sha256": None,
                    "created_at": "c",
                    "completed_at": "d",
                    "aborted_at": None,
                    "etag": '"x-2"',
                }
            ],
            "next_cursor": "abc",
        }
    )
    assert page.next_cursor == "abc"
    item = page.items[0]
    assert (item.username, item.exam_id, item.kind, item.etag) == ("alice", "e1", "screen", "x-2")
    assert (item.part_size, item.part_count, item.aborted_at) == (5, 2, None)


def test_upload_page_accepts_items_and_minimal_rows() -> None:
    row = {
        "upload_id": "u",
        "key": "k",
        "filename": "f",
        "size": 0,
        "status": "in_progress",
        "created_at": "c",
    }
    page = UploadPage.from_json({"items": [row], "next_cursor": None})
    assert page.items == [UploadSummary("u", "k", "f", 0, "in_progress", "c")]


BROKEN: list[tuple[Any, Any]] = [
    (TokenPair, "not an object"),
    (TokenPair, {"access_token": "a", "refresh_token": "r"}),
    (TokenPair, {"access_token": "a", "refresh_token": "r", "expires_in": True}),
    (TokenPair, {"access_token": 1, "refresh_token": "r", "expires_in": 1}),
    (User, {"username": "a"}),
    (
        CreatedUpload,
        {"upload_id": "u", "key": "k", "part_size": 0, "part_count": 1, "url_ttl_seconds": 1},
    ),
    (
        CreatedUpload,
        {"upload_id": "u", "key": "k", "part_size": 5, "part_count": -1, "url_ttl_seconds": 1},
    ),
    (SignedPart, {"part_number": 0, "url": "x"}),
    (SignedPart, {"part_number": 1, "url": "x", "headers": {"a": 1}}),
    (SignedPart, {"part_number": 1, "url": "x", "headers": ["a"]}),
    (SignedParts, {"parts": {}, "expires_at": "t"}),
    (RemotePart, {"part_number": 1, "etag": None, "size": 1}),
    (
        UploadReceipt,
        {"upload_id": "u", "key": "k", "size": 1, "etag": "e", "sha256": 5, "completed_at": "t"},
    ),
    (
        UploadSummary,
        {
            "upload_id": "u",
            "key": "k",
            "filename": "f",
            "size": 1,
            "status": "s",
            "created_at": "c",
            "part_size": "5",
        },
    ),
    (UploadPage, {"uploads": None, "next_cursor": None}),
    (UploadPage, {"items": [], "next_cursor": 3}),
]


@pytest.mark.parametrize(("model", "payload"), BROKEN)
def test_broken_payloads_are_invalid_responses(model: Any, payload: Any) -> None:
    with pytest.raises(BackendError) as info:
        model.from_json(payload)
    assert info.value.code == "invalid_response"
    assert info.value.title == "Unexpected server response"
    assert "server address" in info.value.message
