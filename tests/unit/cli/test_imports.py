"""Start-up cost of the CLI: nothing heavy is imported before a command needs it (issue 6: the CPU
spent starting counts in the time to the first byte after `resume`, and in the CPU per GiB)."""

from __future__ import annotations

import json
import subprocess
import sys

HEAVY = [
    "requests",
    "urllib3",
    "keyring",
    "secretstorage",
    "rich",
    "sqlite3",
    "xml.etree.ElementTree",
    "tomli_w",
    "desktop.api.client",
    "desktop.auth.credentials",
    "desktop.engine.queue",
    "desktop.engine.store",
    "desktop.keepawake",
    "desktop.engine.following",
    "ctypes",
    "PySide6",
]


def _loaded_after(code: str) -> set[str]:
    """Run `code` in a fresh interpreter (home: the test's `app_home`); return which of HEAVY it
    had imported at the end."""
    report = f"import json, sys\nprint(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    probe = f"{code}\n{report}"
    r = subprocess.run(
        [sys.executable, "-c", probe], capture_output=True, text=True, check=True, timeout=60
    )
    return set(json.loads(r.stdout.strip().splitlines()[-1]))


def test_version_and_help_import_nothing_heavy() -> None:
    for argv in (["--version"], ["resume", "--help"]):
        code = (
            "from desktop.__main__ import main\n"
            f"try:\n    main({argv!r})\nexcept SystemExit:\n    pass"
        )
        assert _loaded_after(code) == set(), argv


def test_status_and_receipts_need_no_network_or_keyring_code() -> None:
    for argv in (["status"], ["receipts"]):
        code = f"from desktop.__main__ import main\nmain({argv!r})"
        # The state database is opened (sqlite3), nothing that talks to a server.
        assert _loaded_after(code) <= {"sqlite3", "desktop.engine.store"}, argv


def test_resume_path_loads_only_what_it_uses_before_the_first_byte() -> None:
    # Everything `resume` needs up to its first part (signing in, the queue, a non-TTY display).
    code = (
        "import desktop.cli.commands, desktop.engine.queue, desktop.engine.instance\n"
        "import desktop.auth.session, desktop.auth.credentials, desktop.api.client\n"
        "from desktop.cli.display import PlainDisplay\nPlainDisplay()"
    )
    loaded = _loaded_after(code)
    for needed in ("desktop.api.client", "keyring", "sqlite3", "desktop.engine.queue"):
        assert needed in loaded  # the probe sees real imports
    # Terminal bars, S3 error parsing, config writing, keep-awake and following a recording wait
    # until they are needed; the API client speaks the standard library's HTTP, not requests
    # (~0.06 CPU-s to import).
    assert not loaded & {
        "rich",
        "xml.etree.ElementTree",
        "tomli_w",
        "desktop.keepawake",
        "desktop.engine.following",
        "ctypes",
        "requests",
        "urllib3",
    }
