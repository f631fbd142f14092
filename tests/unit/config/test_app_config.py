"""AppConfig: defaults, validation, the TOML round trip, bad files, and layered IT presets."""

from __future__ import annotations

import dataclasses
import logging
import stat
import sys
import tomllib
from datetime import datetime
from pathlib import Path

import pytest

from desktop.config import (
    SERVER_URL_ENV,
    AppConfig,
    AppPaths,
    BandwidthWindow,
    system_preset_path,
)
from desktop.errors import ConfigError, StateStoreError


@pytest.fixture
def paths() -> AppPaths:
    """The app's paths under the per-test PROCTOR_UPLOADER_HOME (tests/conftest.py)."""
    return AppPaths.default()


def full_config() -> AppConfig:
    """A config with every field away from its default."""
    return AppConfig(
        server_url="https://uploads.example.edu",
        username="alice",
        remember_me=False,
        parallel_files=3,
        parallel_parts=8,
        part_size_mib=64,
        bandwidth_limit_kib=2048,
        schedule=(BandwidthWindow("08:00", "17:30", 512), BandwidthWindow("22:00", "06:00", 0)),
        watch_enabled=True,
        watch_path='C:\\Recordings\\Exam "A"',
        watch_exam_id="exam-7",
        watch_kind="screen",
        watch_settle_seconds=30,
        start_minimized=True,
        language="ko",
        keep_awake=False,
        last_exam_id="exam-8",
        last_kind="webcam",
        allow_insecure_http=True,
        ca_bundle="/etc/ssl/org-ca.pem",
        notifications=False,
    )


# -- values ---------------------------------------------------------------------------------------


def test_defaults() -> None:
    config = AppConfig()
    assert (config.parallel_files, config.parallel_parts, config.part_size_mib) == (2, 4, 0)
    assert config.server_url == ""
    assert config.remember_me is True
    assert config.language == "system"
    assert config.schedule == ()
    assert config.server_url_locked is False


@pytest.mark.parametrize(
    ("field", "value", "key"),
    [
        ("parallel_files", 0, "parallel_files"),
        ("parallel_files", True, "parallel_files"),
        ("parallel_parts", 33, "parallel_parts"),
        ("part_size_mib", 4, "part_size_mib"),
        ("bandwidth_limit_kib", -1, "bandwidth_limit_kib"),
        ("watch_settle_seconds", "10", "watch_settle_seconds"),
        ("language", "fr", "language"),
        ("watch_kind", "audio", "watch_kind"),
        ("last_kind", None, "last_kind"),
        ("remember_me", "yes", "remember_me"),
        ("username", "a\nb", "username"),
        ("watch_exam_id", "x" * 201, "watch_exam_id"),
        ("server_url", "http://uploads.example.edu", "server_url"),
        ("server_url", "ftp://x", "server_url"),
        ("schedule", "08:00-17:00", "schedule"),
        ("schedule", ({"start": "08:00"},), "schedule"),
    ],
)
def test_invalid_values_name_their_key(field: str, value: object, key: str) -> None:
    with pytest.raises(ConfigError) as info:
        AppConfig(**{field: value})  # type: ignore[arg-type]
    assert info.value.key == key
    assert info.value.message


def test_server_url_is_normalised_and_http_needs_the_admin_switch() -> None:
    assert AppConfig(server_url="Uploads.Example.edu/").server_url == "https://uploads.example.edu"
    config = AppConfig(server_url="http://uploads.example.edu", allow_insecure_http=True)
    assert config.server_url == "http://uploads.example.edu"
    assert AppConfig(server_url="http://127.0.0.1:8000/").server_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("start", "end", "limit"),
    [("8:00", "17:00", 1), ("08:00", "24:00", 1), ("08:00", "08:00", 1), ("08:00", "09:00", -5)],
)
def test_bad_schedule_windows(start: str, end: str, limit: int) -> None:
    with pytest.raises(ConfigError) as info:
        BandwidthWindow(start, end, limit)
    assert info.value.key == "schedule"


@pytest.mark.parametrize(
    ("hhmm", "expected"),
    [
        ("07:59", 4096),  # before the day window: the base limit
        ("08:00", 512),  # start is inclusive
        ("12:30", 512),
        ("17:29", 512),
        ("17:30", 4096),  # end is exclusive
        ("21:59", 4096),
        ("22:00", 0),  # the night window crosses midnight: unlimited
        ("23:59", 0),
        ("00:00", 0),
        ("05:59", 0),
        ("06:00", 4096),
    ],
)
def test_effective_bandwidth_follows_the_schedule(hhmm: str, expected: int) -> None:
    config = AppConfig(
        bandwidth_limit_kib=4096,
        schedule=(BandwidthWindow("08:00", "17:30", 512), BandwidthWindow("22:00", "06:00", 0)),
    )
    hours, minutes = map(int, hhmm.split(":"))
    assert config.effective_bandwidth_kib(datetime(2026, 5, 4, hours, minutes, 42)) == expected


def test_the_first_matching_window_wins() -> None:
    config = AppConfig(
        schedule=(BandwidthWindow("09:00", "10:00", 100), BandwidthWindow("08:00", "12:00", 200))
    )
    assert config.effective_bandwidth_kib(datetime(2026, 1, 1, 9, 30)) == 100
    assert config.effective_bandwidth_kib(datetime(2026, 1, 1, 11, 0)) == 200
    assert config.effective_bandwidth_kib(datetime(2026, 1, 1, 13, 0)) == 0


# -- files ----------------------------------------------------------------------------------------


def test_missing_file_gives_defaults(tmp_path: Path) -> None:
    assert AppConfig.load(tmp_path / "nope.toml") == AppConfig()


def test_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "cfg" / "config.toml"
    config = full_config()
    config.save(path)
    assert AppConfig.load(path) == config
    text = path.read_text(encoding="utf-8")
    assert 'start = "22:00"' in text
    assert "server_url_locked" not in text


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_save_is_private_and_leaves_no_temporary_files(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    AppConfig().save(path)
    full_config().save(path)  # replaces the first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]
    assert tomllib.loads(path.read_text())["language"] == "ko"


def test_save_failure_is_a_state_store_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StateStoreError) as info:
        AppConfig().save(blocker / "config.toml")
    assert str(blocker) in info.value.message


def test_corrupt_file_is_moved_aside(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "config.toml"
    path.write_text('parallel_files = 3\nlanguage = "en\n')
    assert AppConfig.load(path) == AppConfig()
    assert not path.exists()
    backups = list(tmp_path.glob("config.toml.corrupt-*"))
    assert len(backups) == 1
    assert backups[0].read_text().startswith("parallel_files = 3")
    assert "not valid TOML" in caplog.text
    assert backups[0].name in caplog.text


def test_non_utf8_file_is_moved_aside(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_bytes(b'language = "\xff"\n')
    assert AppConfig.load(path) == AppConfig()
    assert list(tmp_path.glob("config.toml.corrupt-*"))


def test_invalid_values_and_unknown_keys_fall_back_one_by_one(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "config.toml"
    path.write_text(
        "\n".join(
            [
                "parallel_files = 0",
                "parallel_parts = 6",
                'language = "fr"',
                "keep_awake = 1",
                'username = "bob"',
                'colour = "blue"',
                'server_url = "http://uploads.example.edu"',
                "schedule = 5",
                "",
            ]
        )
    )
    config = AppConfig.load(path)
    assert config == dataclasses.replace(AppConfig(), parallel_parts=6, username="bob")
    for key in ("parallel_files", "language", "keep_awake", "'colour'", "server_url", "schedule"):
        assert key in caplog.text
    assert path.exists()  # a valid TOML file with bad values is kept as it is


def test_bad_schedule_entries_fall_back(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    path = tmp_path / "config.toml"
    path.write_text('[[schedule]]\nstart = "08:00"\nend = "08:00"\nlimit_kib = 1\n')
    assert AppConfig.load(path).schedule == ()
    assert "different times" in caplog.text
    path.write_text('schedule = [{ start = "08:00", end = "09:00" }]\n')
    assert AppConfig.load(path).schedule == ()
    assert "exactly start, end and limit_kib" in caplog.text


@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_unreadable_file_gives_defaults(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    folder = tmp_path / "config.toml"
    folder.mkdir()  # reading a folder fails for every user, root included
    assert AppConfig.load(folder) == AppConfig()
    assert "cannot be read" in caplog.text


# -- layers ---------------------------------------------------------------------------------------


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_layers_without_files_give_defaults(paths: AppPaths) -> None:
    assert AppConfig.load_layered(paths, environ={}) == AppConfig()


def test_preset_gives_defaults_that_the_user_overrides(paths: AppPaths) -> None:
    assert paths.preset_file is not None
    write(
        paths.preset_file,
        'server_url = "https://org.example.edu"\nparallel_files = 4\nlanguage = "ko"\n',
    )
    write(paths.config_file, 'parallel_files = 1\nserver_url = "https://mine.example.edu"\n')
    config = AppConfig.load_layered(paths, environ={})
    assert config.server_url == "https://mine.example.edu"
    assert config.parallel_files == 1
    assert config.language == "ko"  # from the preset: the user never chose
    assert config.server_url_locked is False


def test_environment_overrides_the_preset_and_the_user_overrides_it(paths: AppPaths) -> None:
    assert paths.preset_file is not None
    write(paths.preset_file, 'server_url = "https://org.example.edu"\n')
    env = {SERVER_URL_ENV: " https://env.example.edu/ "}
    assert AppConfig.load_layered(paths, environ=env).server_url == "https://env.example.edu"
    write(paths.config_file, 'server_url = "https://mine.example.edu"\n')
    assert AppConfig.load_layered(paths, environ=env).server_url == "https://mine.example.edu"


def test_the_real_environment_is_read_by_default(
    paths: AppPaths, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SERVER_URL_ENV, "uploads.example.edu")
    assert AppConfig.load_layered(paths).server_url == "https://uploads.example.edu"


def test_locked_server_wins_over_the_user(paths: AppPaths) -> None:
    assert paths.preset_file is not None
    write(
        paths.preset_file,
        'lock_server_url = true\nserver_url = "http://org.internal:8080"\n'
        'allow_insecure_http = true\nca_bundle = "/etc/org-ca.pem"\n',
    )
    write(
        paths.config_file,
        'server_url = "https://mine.example.edu"\nallow_insecure_http = false\n'
        'ca_bundle = ""\nparallel_parts = 2\n',
    )
    config = AppConfig.load_layered(paths, environ={})
    assert config.server_url == "http://org.internal:8080"
    assert config.allow_insecure_http is True
    assert config.ca_bundle == "/etc/org-ca.pem"
    assert config.server_url_locked is True
    assert config.parallel_parts == 2  # only the connection settings are locked
    # The environment may set the locked address too (deployment tools often prefer variables).
    env = {SERVER_URL_ENV: "http://other.internal"}
    assert AppConfig.load_layered(paths, environ=env).server_url == "http://other.internal"


def test_a_lock_without_an_address_locks_nothing(paths: AppPaths) -> None:
    assert paths.preset_file is not None
    write(paths.preset_file, "lock_server_url = true\n")
    write(paths.config_file, 'server_url = "https://mine.example.edu"\n')
    config = AppConfig.load_layered(paths, environ={})
    assert (config.server_url, config.server_url_locked) == ("https://mine.example.edu", False)


def test_bad_presets_are_ignored_not_moved(
    paths: AppPaths, caplog: pytest.LogCaptureFixture
) -> None:
    assert paths.preset_file is not None
    write(paths.preset_file, "lock_server_url = [\n")
    assert AppConfig.load_layered(paths, environ={}) == AppConfig()
    assert paths.preset_file.exists()  # an admin's file is never touched
    write(paths.preset_file, 'lock_server_url = "yes"\nserver_url = "https://org.example.edu"\n')
    config = AppConfig.load_layered(paths, environ={})
    assert (config.server_url, config.server_url_locked) == ("https://org.example.edu", False)
    assert "lock_server_url must be true or false" in caplog.text


def test_invalid_environment_address_is_ignored(
    paths: AppPaths, caplog: pytest.LogCaptureFixture
) -> None:
    config = AppConfig.load_layered(paths, environ={SERVER_URL_ENV: "http://plain.example.edu"})
    assert config.server_url == ""
    assert SERVER_URL_ENV in caplog.text


def test_corrupt_user_file_keeps_the_preset(paths: AppPaths) -> None:
    assert paths.preset_file is not None
    write(paths.preset_file, "parallel_files = 5\n")
    write(paths.config_file, "parallel_files = \n")
    assert AppConfig.load_layered(paths, environ={}).parallel_files == 5
    assert list(paths.config_dir.glob("config.toml.corrupt-*"))


def test_logging_level_of_layer_warnings(paths: AppPaths, caplog: pytest.LogCaptureFixture) -> None:
    write(paths.config_file, "nonsense = 1\n")
    with caplog.at_level(logging.WARNING, logger="desktop.config"):
        AppConfig.load_layered(paths, environ={})
    assert [r.levelno for r in caplog.records] == [logging.WARNING]


def test_the_system_preset_is_looked_up_where_this_os_keeps_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Each OS's own path is tested in tests/unit/test_platforms.py; here, that config asks there.
    monkeypatch.setattr(sys, "platform", "darwin")
    assert system_preset_path() == Path("/Library/Application Support/ProctorUploader/config.toml")
    monkeypatch.setattr(sys, "platform", "linux")
    assert system_preset_path() == Path("/etc/proctor-uploader/config.toml")


def test_failed_replace_leaves_no_temporary_file(tmp_path: Path) -> None:
    target = tmp_path / "config.toml"
    target.mkdir()  # os.replace onto a folder fails after the temporary file was written
    with pytest.raises(StateStoreError):
        AppConfig().save(target)
    assert [p.name for p in tmp_path.iterdir()] == ["config.toml"]


def test_corrupt_file_that_cannot_be_moved_still_gives_defaults(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "config.toml"
    path.write_text("x = = 1\n")

    def refuse(src: object, dst: object) -> None:
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr("desktop.config.os.replace", refuse)  # an OS edge: a read-only folder
    assert AppConfig.load(path) == AppConfig()
    assert "could not be moved aside" in caplog.text
    assert path.exists()


def test_layers_without_a_preset_file(tmp_path: Path) -> None:
    paths = dataclasses.replace(AppPaths.default(), preset_file=None)
    write(paths.config_file, "parallel_files = 3\n")
    assert AppConfig.load_layered(paths, environ={}).parallel_files == 3


def test_locked_server_already_chosen_by_the_user(
    paths: AppPaths, caplog: pytest.LogCaptureFixture
) -> None:
    assert paths.preset_file is not None
    write(paths.preset_file, 'lock_server_url = true\nserver_url = "https://org.example.edu"\n')
    write(paths.config_file, 'server_url = "https://org.example.edu"\n')
    with caplog.at_level(logging.INFO, logger="desktop.config"):
        config = AppConfig.load_layered(paths, environ={})
    assert config.server_url_locked
    assert "set by your organisation" not in caplog.text
    write(paths.config_file, 'server_url = "https://mine.example.edu"\n')
    with caplog.at_level(logging.INFO, logger="desktop.config"):
        AppConfig.load_layered(paths, environ={})
    assert "set by your organisation" in caplog.text


def test_the_documented_preset_example_loads(paths: AppPaths) -> None:
    doc = Path(__file__).resolve().parents[3] / "docs" / "configuration.md"
    example = doc.read_text(encoding="utf-8").split("```toml\n", 1)[1].split("```", 1)[0]
    assert paths.preset_file is not None
    write(paths.preset_file, example)
    write(paths.config_file, 'server_url = "https://elsewhere.example.edu"\nlanguage = "en"\n')
    config = AppConfig.load_layered(paths, environ={})
    assert config.server_url == "https://uploads.example.edu"
    assert config.server_url_locked
    assert config.ca_bundle == "/etc/ssl/certs/example-edu-root.pem"
    assert config.schedule == (BandwidthWindow("08:00", "18:00", 2048),)
    assert config.language == "en"
