"""Where the app keeps its files, and the settings a proctor (or an IT preset) chooses.

Paths come from ``platformdirs`` (each OS's usual folders); ``PROCTOR_UPLOADER_HOME=<dir>`` moves
every one of them under ``<dir>`` (config, data, logs, cache and the admin preset), for tests and
for portable installs.

Settings are a TOML file read into a frozen, validated :class:`AppConfig`. A bad file
never stops the app: a file that is not TOML is moved aside (``config.toml.corrupt-<time>``) and
defaults are used; an invalid value falls back to its default; unknown keys are ignored; each with a
logged warning.

IT presets (issue 5) layer under the user's file, from lowest to highest:

1. built-in defaults;
2. the system-wide preset file (any :class:`AppConfig` key, plus ``lock_server_url = true``):
   Linux ``/etc/proctor-uploader/config.toml``,
   Windows ``%PROGRAMDATA%\\ProctorUploader\\config.toml``,
   macOS ``/Library/Application Support/ProctorUploader/config.toml``;
   ``<home>/preset.toml`` when ``PROCTOR_UPLOADER_HOME`` is set; ``PROCTOR_UPLOADER_PRESET=<file>``
   overrides them all;
3. the environment variable ``PROCTOR_UPLOADER_SERVER_URL``;
4. the user's own ``config.toml``.

With ``lock_server_url = true`` the preset's (or the environment's) server address wins over the
user's file, along with ``allow_insecure_http`` and ``ca_bundle``, and
``AppConfig.server_url_locked`` tells the app to grey the field out. The user's file stores every
setting it saves, so a value once saved no longer follows later preset changes.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import re
import tempfile
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time
from pathlib import Path
from typing import Any

import platformdirs

from desktop import APP_ID, platforms
from desktop.api.urls import validate_server_url
from desktop.errors import ConfigError, InvalidServerUrlError, StateStoreError
from desktop.recordings import KINDS, SETTLE_SECONDS

__all__ = [
    "HOME_ENV",
    "PRESET_ENV",
    "SERVER_URL_ENV",
    "AppConfig",
    "AppPaths",
    "BandwidthWindow",
    "system_preset_path",
]

logger = logging.getLogger(__name__)

HOME_ENV = "PROCTOR_UPLOADER_HOME"
PRESET_ENV = "PROCTOR_UPLOADER_PRESET"
SERVER_URL_ENV = "PROCTOR_UPLOADER_SERVER_URL"

_LANGUAGES = ("system", "en", "ko")
#: What the settings allow for files uploading at once and parts in flight per file (the settings
#: dialog offers exactly these). Their product stays within the engine's own bounds
#: (`desktop.engine.config.MAX_FILES`, `MAX_PARTS`), which the CLI's options may use in full.
PARALLEL_FILES_RANGE = (1, 16)
PARALLEL_PARTS_RANGE = (1, 32)
_HHMM = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")


def system_preset_path() -> Path:
    """The system-wide preset file an IT admin deploys, for this operating system."""
    return Path(platforms.system_preset_path())


def _private_dir(path: Path) -> None:
    """Create ``path`` readable by its owner only (0700; on Windows the profile is private)."""
    try:
        path.mkdir(mode=0o700, parents=True, exist_ok=True)
        os.chmod(
            path, 0o700
        )  # mkdir's mode is filtered by the umask, and the folder may predate us
    except OSError as exc:
        raise StateStoreError(
            f"The app folder {path} cannot be created ({exc.strerror or exc}). Check that your "
            "home folder is writable and not full.",
            title="Cannot create app folder",
        ) from exc


@dataclass(frozen=True, slots=True)
class AppPaths:
    """Every file and folder the app uses.

    Attributes:
        config_dir: Holds ``config.toml``.
        data_dir: Holds the queue database and receipts.
        log_dir: Holds the rotating log files.
        cache_dir: Disposable files.
        state_db: The SQLite queue database.
        config_file: The user's settings.
        receipts_dir: Exported receipts.
        preset_file: The IT admin's preset file (may not exist).
    """

    config_dir: Path
    data_dir: Path
    log_dir: Path
    cache_dir: Path
    state_db: Path
    config_file: Path
    receipts_dir: Path
    preset_file: Path | None = None

    @classmethod
    def default(cls, *, create: bool = True) -> AppPaths:
        """The paths for this user, honouring ``PROCTOR_UPLOADER_HOME`` and ``..._PRESET``.

        Args:
            create: Create the folders (0700) now.

        Raises:
            StateStoreError: A folder cannot be created.
        """
        home = os.environ.get(HOME_ENV, "").strip()
        if home:
            root = Path(home).expanduser().absolute()
            config_dir, data_dir = root / "config", root / "data"
            log_dir, cache_dir = root / "logs", root / "cache"
            preset: Path = root / "preset.toml"
        else:
            dirs = platformdirs.PlatformDirs(APP_ID, appauthor=False)
            config_dir, data_dir = Path(dirs.user_config_dir), Path(dirs.user_data_dir)
            log_dir, cache_dir = Path(dirs.user_log_dir), Path(dirs.user_cache_dir)
            preset = system_preset_path()
        preset_override = os.environ.get(PRESET_ENV, "").strip()
        paths = cls(
            config_dir=config_dir,
            data_dir=data_dir,
            log_dir=log_dir,
            cache_dir=cache_dir,
            state_db=data_dir / "queue.sqlite3",
            config_file=config_dir / "config.toml",
            receipts_dir=data_dir / "receipts",
            preset_file=Path(preset_override).expanduser() if preset_override else preset,
        )
        if create:
            paths.create()
        return paths

    def create(self) -> None:
        """Create every folder, private to the user.

        Raises:
            StateStoreError: A folder cannot be created.
        """
        for folder in (
            self.config_dir,
            self.data_dir,
            self.log_dir,
            self.cache_dir,
            self.receipts_dir,
        ):
            _private_dir(folder)


@dataclass(frozen=True, slots=True)
class BandwidthWindow:
    """A daily period with its own bandwidth limit (like rclone's ``--bwlimit`` timetable).

    Attributes:
        start: ``"HH:MM"`` local time, inclusive.
        end: ``"HH:MM"`` local time, exclusive; earlier than ``start`` for a window across midnight.
        limit_kib: KiB/s during the window; 0 = unlimited.
    """

    start: str
    end: str
    limit_kib: int

    def __post_init__(self) -> None:
        """Check the times and the limit."""
        for value in (self.start, self.end):
            if not isinstance(value, str) or not _HHMM.match(value):
                raise ConfigError(
                    f"Schedule times must look like 08:30 (24-hour clock); got {value!r}.",
                    key="schedule",
                )
        if self.start == self.end:
            raise ConfigError(
                f"A schedule window must start and end at different times (both are {self.start}).",
                key="schedule",
            )
        if not _is_int(self.limit_kib) or self.limit_kib < 0:
            raise ConfigError(
                "A schedule window's limit must be a whole number of KiB/s, 0 for unlimited.",
                key="schedule",
            )

    def contains(self, moment: time) -> bool:
        """Whether the local time of day ``moment`` falls in this window."""
        start, end = _parse_hhmm(self.start), _parse_hhmm(self.end)
        now = moment.replace(second=0, microsecond=0, tzinfo=None)
        if start < end:
            return start <= now < end
        return now >= start or now < end  # across midnight


def _parse_hhmm(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def _is_int(value: object) -> bool:
    # TOML booleans are ints to Python; `parallel_files = true` is a mistake, not 1.
    return isinstance(value, int) and not isinstance(value, bool)


def _check_int(key: str, value: object, low: int, high: int, *, zero_ok: bool = False) -> None:
    in_range = (
        isinstance(value, int)
        and not isinstance(value, bool)
        and (low <= value <= high or (zero_ok and value == 0))
    )
    if not in_range:
        zero = "0 or " if zero_ok else ""
        raise ConfigError(
            f"{key} must be {zero}a whole number from {low} to {high}; got {value!r}.", key=key
        )


def _check_text(key: str, value: object, *, max_len: int = 500) -> None:
    if not isinstance(value, str) or len(value) > max_len or any(ord(c) < 32 for c in value):
        raise ConfigError(
            f"{key} must be a single line of text (at most {max_len} characters).", key=key
        )


def _check_choice(key: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{key} must be one of {', '.join(choices)}; got {value!r}.", key=key)


@dataclass(frozen=True, slots=True)
class AppConfig:
    """The app's settings; construct with valid values or get :class:`ConfigError` naming the key.

    Attributes:
        server_url: The backend's address ('' until the first sign-in).
        username: The last signed-in account, for silent sign-in.
        remember_me: Keep the sign-in in the OS keyring.
        parallel_files: Files uploaded at once.
        parallel_parts: Parts in flight per file.
        part_size_mib: Preferred part size in MiB; 0 lets the server choose.
        bandwidth_limit_kib: Upload limit in KiB/s; 0 = unlimited.
        schedule: Daily windows with their own limit; the first window that contains the time wins.
        watch_enabled: Queue recordings that appear in ``watch_path``.
        watch_path: The watched folder.
        watch_exam_id: Exam id given to watched files.
        watch_kind: Kind given to watched files.
        watch_settle_seconds: A recording that has not changed this long has ended: a watched
            file is queued then (without `follow_recordings`), and a followed one completes then
            if its recorder did not close it.
        follow_recordings: Send recordings while they are still being written: the watched folder
            queues a new recording at once, and an added file that is still growing is followed
            until it ends.
        start_minimized: Start in the tray.
        language: ``system``, ``en`` or ``ko``.
        keep_awake: Keep the computer awake while uploading.
        last_exam_id: Prefill for the exam id prompt.
        last_kind: Prefill for the kind prompt.
        allow_insecure_http: Allow ``http://`` to a non-loopback server (admins only).
        ca_bundle: A PEM file of certificate authorities to trust instead of the system's.
        notifications: Show desktop notifications.
        server_url_locked: Set by an IT preset; the server address cannot be changed. Never saved.
    """

    server_url: str = ""
    username: str = ""
    remember_me: bool = True
    parallel_files: int = 2
    parallel_parts: int = 4
    part_size_mib: int = 0
    bandwidth_limit_kib: int = 0
    schedule: tuple[BandwidthWindow, ...] = ()
    watch_enabled: bool = False
    watch_path: str = ""
    watch_exam_id: str = ""
    watch_kind: str = "other"
    watch_settle_seconds: int = SETTLE_SECONDS
    follow_recordings: bool = True
    start_minimized: bool = False
    language: str = "system"
    keep_awake: bool = True
    last_exam_id: str = ""
    last_kind: str = "other"
    allow_insecure_http: bool = False
    ca_bundle: str = ""
    notifications: bool = True
    server_url_locked: bool = False

    def __post_init__(self) -> None:
        """Validate every field, and normalise the server address and the schedule."""
        for spec in dataclasses.fields(self):
            if spec.type == "bool" and not isinstance(getattr(self, spec.name), bool):
                raise ConfigError(f"{spec.name} must be true or false.", key=spec.name)
        _check_int("parallel_files", self.parallel_files, *PARALLEL_FILES_RANGE)
        _check_int("parallel_parts", self.parallel_parts, *PARALLEL_PARTS_RANGE)
        _check_int("part_size_mib", self.part_size_mib, 5, 5120, zero_ok=True)
        _check_int("bandwidth_limit_kib", self.bandwidth_limit_kib, 0, 10_000_000)
        _check_int("watch_settle_seconds", self.watch_settle_seconds, 1, 3600)
        for key in ("username", "watch_exam_id", "last_exam_id"):
            _check_text(key, getattr(self, key), max_len=200)
        for key in ("server_url", "watch_path", "ca_bundle"):
            _check_text(key, getattr(self, key), max_len=4096)
        for key in ("watch_kind", "last_kind"):
            _check_choice(key, getattr(self, key), KINDS)
        _check_choice("language", self.language, _LANGUAGES)
        schedule = tuple(self.schedule) if isinstance(self.schedule, (list, tuple)) else None
        if schedule is None or not all(isinstance(w, BandwidthWindow) for w in schedule):
            raise ConfigError("schedule must be a list of bandwidth windows.", key="schedule")
        object.__setattr__(self, "schedule", schedule)
        if self.server_url:
            try:
                url = validate_server_url(
                    self.server_url, allow_insecure_http=self.allow_insecure_http
                )
            except InvalidServerUrlError as exc:
                raise ConfigError(exc.message, key="server_url", title=exc.title) from exc
            object.__setattr__(self, "server_url", url)

    def effective_bandwidth_kib(self, now: datetime) -> int:
        """The limit in KiB/s at local ``now``: the first window containing it, else the base."""
        moment = now.time()
        for window in self.schedule:
            if window.contains(moment):
                return window.limit_kib
        return self.bandwidth_limit_kib

    # -- files ------------------------------------------------------------------------------------

    @classmethod
    def load(cls, path: Path) -> AppConfig:
        """Read the user's settings file alone (no presets); never fails.

        A missing file gives the defaults; a file that is not TOML is moved aside and gives the
        defaults; invalid values fall back to their defaults; unknown keys are ignored. Each problem
        is logged as a warning.
        """
        return _apply(cls(), _read_toml(path, move_aside_if_corrupt=True), source=str(path))

    @classmethod
    def load_layered(
        cls, paths: AppPaths, *, environ: Mapping[str, str] | None = None
    ) -> AppConfig:
        """The settings as the app uses them: defaults, IT preset, environment, then the user file.

        Args:
            paths: Where the preset and the user's file are.
            environ: The environment to read ``PROCTOR_UPLOADER_SERVER_URL`` from (default
                ``os.environ``).
        """
        env = os.environ if environ is None else environ
        base = cls()
        preset: dict[str, Any] = {}
        if paths.preset_file is not None:
            preset = _read_toml(paths.preset_file, move_aside_if_corrupt=False)
        lock = preset.pop("lock_server_url", False)
        if not isinstance(lock, bool):
            logger.warning(
                "Preset %s: lock_server_url must be true or false; ignored", paths.preset_file
            )
            lock = False
        base = _apply(base, preset, source=str(paths.preset_file))
        env_url = env.get(SERVER_URL_ENV, "").strip()
        if env_url:
            base = _apply(base, {"server_url": env_url}, source=SERVER_URL_ENV)
        config = _apply(
            base,
            _read_toml(paths.config_file, move_aside_if_corrupt=True),
            source=str(paths.config_file),
        )
        if lock and base.server_url:
            if config.server_url != base.server_url:
                logger.info("The server address is set by your organisation (%s)", base.server_url)
            config = dataclasses.replace(
                config,
                server_url=base.server_url,
                allow_insecure_http=base.allow_insecure_http,
                ca_bundle=base.ca_bundle,
                server_url_locked=True,
            )
        return config

    def to_toml_dict(self) -> dict[str, Any]:
        """The settings as the TOML file stores them (everything but ``server_url_locked``)."""
        data: dict[str, Any] = {}
        for spec in dataclasses.fields(self):
            if spec.name == "server_url_locked":
                continue
            value = getattr(self, spec.name)
            if spec.name == "schedule":
                value = [dataclasses.asdict(w) for w in value]
            data[spec.name] = value
        return data

    def save(self, path: Path) -> None:
        """Write the settings atomically (temporary file, then ``os.replace``), private to the user.

        Raises:
            StateStoreError: The file cannot be written (read-only folder, disk full).
        """
        import tomli_w  # only saving needs it: not loaded at start-up

        payload = tomli_w.dumps(self.to_toml_dict()).encode("utf-8")
        try:
            _private_dir(path.parent)
            fd, tmp_name = tempfile.mkstemp(prefix=path.name + ".", suffix=".tmp", dir=path.parent)
            try:
                with os.fdopen(fd, "wb") as handle:
                    handle.write(payload)
                    handle.flush()
                    os.fsync(handle.fileno())
                os.replace(tmp_name, path)  # mkstemp made it 0600, and os.replace keeps that
            except BaseException:
                Path(tmp_name).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise StateStoreError(
                f"Settings could not be saved to {path} ({exc.strerror or exc}). Check that the "
                "disk is not full.",
                title="Cannot save settings",
            ) from exc


def _read_toml(path: Path, *, move_aside_if_corrupt: bool) -> dict[str, Any]:
    """The file's table, or ``{}`` when it is missing, unreadable or not TOML (with a warning)."""
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        return {}
    except OSError as exc:
        logger.warning(
            "Settings file %s cannot be read (%s); using defaults", path, exc.strerror or exc
        )
        return {}
    try:
        return tomllib.loads(raw.decode("utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        if not move_aside_if_corrupt:
            logger.warning("Settings file %s is not valid TOML (%s); ignored", path, exc)
            return {}
        backup = path.with_name(f"{path.name}.corrupt-{datetime.now():%Y%m%d-%H%M%S}")
        try:
            os.replace(path, backup)
        except OSError as move_exc:
            logger.warning(
                "Settings file %s is not valid TOML (%s) and could not be moved aside (%s); using "
                "defaults",
                path,
                exc,
                move_exc.strerror,
            )
        else:
            logger.warning(
                "Settings file %s is not valid TOML (%s); it was moved to %s and defaults are used",
                path,
                exc,
                backup.name,
            )
        return {}


def _coerce_schedule(value: object) -> tuple[BandwidthWindow, ...]:
    if not isinstance(value, list):
        raise ConfigError(
            "schedule must be a list of {start, end, limit_kib} tables.", key="schedule"
        )
    windows = []
    for item in value:
        if not isinstance(item, dict) or set(item) != {"start", "end", "limit_kib"}:
            raise ConfigError(
                "Each schedule entry needs exactly start, end and limit_kib.", key="schedule"
            )
        windows.append(BandwidthWindow(item["start"], item["end"], item["limit_kib"]))
    return tuple(windows)


def _apply(base: AppConfig, data: Mapping[str, Any], *, source: str) -> AppConfig:
    """``base`` with the valid values of ``data``; every unknown key or invalid value is logged and
    skipped.
    """
    known = {f.name for f in dataclasses.fields(AppConfig)} - {"server_url_locked"}
    changes: dict[str, Any] = {}
    for key, value in data.items():
        if key not in known:
            logger.warning("Settings %s: unknown setting %r ignored", source, key)
            continue
        if key == "schedule":
            try:
                value = _coerce_schedule(value)
            except ConfigError as exc:
                logger.warning(
                    "Settings %s: %s: %s The default is used.", source, exc.key, exc.message
                )
                continue
        changes[key] = value
    while True:
        try:
            return dataclasses.replace(base, **changes)
        except ConfigError as exc:
            if exc.key not in changes:  # pragma: no cover - base itself is valid by construction
                raise
            logger.warning("Settings %s: %s: %s The default is used.", source, exc.key, exc.message)
            del changes[exc.key]
