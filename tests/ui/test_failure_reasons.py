"""Every failure reason reads in Korean in a Korean window; the server's own words stay as sent.

The reasons come from their one home: the error classes (every `UploaderError` subclass anywhere in
the Qt-free code, found by walking the package) and the message frames of `desktop.error_frames`
that the API client and the engine fill in. A new class or frame without a Korean text fails here.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
import re
import socket
import string
from typing import Any

import pytest
from PySide6.QtCore import QCoreApplication, Qt

import desktop
import desktop.error_frames
from desktop.api.http_errors import convert_http_errors, error_from_response
from desktop.api.transport import Answer
from desktop.engine.events import JobState
from desktop.engine.transfer import IntegrityError, classify_response
from desktop.errors import UploaderError
from desktop.ui.messages import MessageCenter
from desktop.ui.queue_model import Column, UploadQueueModel
from desktop.ui.text import i18n
from desktop.ui.text.errors import error_text
from desktop.ui.views.main_window import MainWindow
from tests.ui.conftest import make_job

HANGUL = re.compile(r"[\uac00-\ud7a3]")
SERVER_SAYS = "Exam BIO-101 closed at 17:00 by j.kim"  # free text from the backend


def _fields(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def _error_classes() -> set[type[UploaderError]]:
    """Every UploaderError subclass of the Qt-free code (the UI only shows them)."""
    for module in pkgutil.walk_packages(desktop.__path__, "desktop."):
        if not module.name.startswith(("desktop.ui", "desktop.app", "desktop.__main__")):
            importlib.import_module(module.name)
    found: set[type[UploaderError]] = set()
    todo: list[type[UploaderError]] = [UploaderError]
    while todo:
        cls = todo.pop()
        found.add(cls)
        todo.extend(cls.__subclasses__())
    return found


def test_every_failure_reason_has_a_korean_text(qtbot: Any) -> None:
    i18n.apply_language("ko")
    frames = desktop.error_frames.frames() + desktop.error_frames.frame_parts()
    assert len(frames) >= 10
    for frame in frames:
        korean = QCoreApplication.translate("errors", frame)
        assert korean != frame, frame
        assert HANGUL.search(korean), korean
        assert _fields(korean) == _fields(frame), frame
    classes = _error_classes()
    names = {cls.__name__ for cls in classes}
    assert {"StorageError", "IntegrityError", "UploadNotFoundError"} <= names
    for cls in classes:
        title, message = error_text(cls.default_title, cls.default_message)
        assert HANGUL.search(title), (cls, title)
        assert HANGUL.search(message), (cls, message)


def _answer(status: int, message: str = "", **headers: str) -> Answer:
    body = json.dumps({"error": {"code": "exam_closed", "message": message}}) if message else ""
    return Answer(status=status, headers=headers, content=body.encode())


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _network_failures() -> list[UploaderError]:
    """What the API client makes of a refused connection and of a server that never answers."""
    found = []
    port = _closed_port()
    with pytest.raises(UploaderError) as refused, convert_http_errors(f"https://127.0.0.1:{port}"):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    found.append(refused.value)
    with socket.create_server(("127.0.0.1", 0)) as silent:
        address = silent.getsockname()
        url = f"https://127.0.0.1:{address[1]}"
        with (
            pytest.raises(UploaderError) as no_answer,
            convert_http_errors(url),
            socket.create_connection(address, timeout=0.2) as client,
        ):
            client.recv(1)  # accepted by the kernel, never answered
    found.append(no_answer.value)
    return found


def _verification_failure() -> UploaderError:
    """What the engine says when the stored object is not the file (as engine/control.py does)."""
    return IntegrityError(
        desktop.error_frames.STORED_OBJECT_DIFFERS.format(
            stored_size="1,000,000", stored="crc-b", size="1,000,001", proof="crc-a"
        ),
        title="Verification failed",
    )


def _failures() -> list[UploaderError]:
    """What the API client and the engine make of real error answers."""
    return [*_answers_failures(), *_network_failures(), _verification_failure()]


def _answers_failures() -> list[UploaderError]:
    return [
        error_from_response(_answer(409, SERVER_SAYS), context="upload"),
        error_from_response(_answer(503, SERVER_SAYS), context="upload"),
        error_from_response(_answer(429, SERVER_SAYS)),
        error_from_response(_answer(500, SERVER_SAYS)),
        error_from_response(_answer(403, SERVER_SAYS), context="login"),
        error_from_response(_answer(422)),
        error_from_response(_answer(429, **{"retry-after": "300"}), context="login"),
        error_from_response(_answer(302, location="https://uploads.example.edu/api?x=1")),
        classify_response(403, b"<Error><Code>AccessDenied</Code><Message>no</Message></Error>"),
        classify_response(400, b"<Error><Code>BadDigest</Code></Error>"),
    ]


def test_queue_in_korean_shows_each_failure_in_korean_with_the_servers_words(qtbot: Any) -> None:
    failures = _failures()
    model = UploadQueueModel(refresh_ms=60_000)
    for err in failures:
        model.add_job(
            make_job(state=JobState.FAILED, error_title=err.title, error_message=err.message)
        )
    model.flush()
    window = MainWindow(model, log_lines=[], log_path=None)
    qtbot.addWidget(window)
    window.resize(1100, 620)
    window.show()
    qtbot.waitExposed(window)
    for row, err in enumerate(failures):
        tip = str(model.data(model.index(row, Column.STATUS), _TIP))
        assert err.message in tip  # English: the client's own sentence, unchanged

    i18n.apply_language("ko")
    qtbot.waitUntil(lambda: window.tabs.tabText(1) == "기록")
    for row in range(len(failures)):
        status = str(model.data(model.index(row, Column.STATUS)))
        tip = str(model.data(model.index(row, Column.STATUS), _TIP))
        assert HANGUL.search(status), status
        reason = tip.splitlines()[-1]
        assert HANGUL.search(reason), reason
        assert not re.search(r"\b(the|server|refused|tried|again)\b", reason, re.I), reason
    tips = [str(model.data(model.index(r, Column.STATUS), _TIP)) for r in range(len(failures))]
    # The backend's own words are kept, inside the Korean sentence.
    assert sum(SERVER_SAYS in tip for tip in tips) == 5
    assert "(서버 메시지: " + SERVER_SAYS + ")" in tips[0]
    assert "약 5분 후에 다시 시도하세요" in tips[6]
    assert "https://uploads.example.edu/api" in tips[7]
    assert "403 AccessDenied" in tips[8]
    # The server's address stays in a network failure's Korean sentence.
    assert re.search(r"https://127\.0\.0\.1:\d+ 서버가 연결을 거부했습니다", tips[10]), tips[10]
    assert re.search(r"https://127\.0\.0\.1:\d+ 서버가 제시간에 응답하지", tips[11]), tips[11]
    assert "1,000,000바이트(체크섬 crc-b)" in tips[12]


def test_error_notices_in_korean_keep_the_servers_words(qtbot: Any) -> None:
    center = MessageCenter()
    posted: list[tuple[str, str, str]] = []
    center.sig_notice_posted.connect(lambda *args: posted.append(args))
    i18n.apply_language("ko")
    center.error(error_from_response(_answer(409, SERVER_SAYS), context="upload"))
    _, title, message = posted[0]
    assert title == "요청이 거부됨"
    assert message == f"서버가 요청을 거부했습니다(서버 메시지: {SERVER_SAYS})."


_TIP = Qt.ItemDataRole.ToolTipRole
