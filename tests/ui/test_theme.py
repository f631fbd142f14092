"""The app's style on a real X server: dialog buttons carry words, not the desktop's icons.

Offscreen, Qt never puts icons on standard buttons, so this runs a small script under Xvfb with
the xcb platform, where the system icon theme gave "Sign in" and "Cancel" colourful pictures.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

import pytest

_SCRIPT = """
import sys
from PySide6.QtWidgets import QApplication, QPushButton, QStyle
from desktop.auth.credentials import MemoryCredentialStore
from desktop.auth.session import AuthSession
from desktop.ui.dialogs.login import SignInDialog
from desktop.ui.theme import apply_theme

app = QApplication(sys.argv[:1])
raw = app.style().styleHint(QStyle.StyleHint.SH_DialogButtonBox_ButtonsHaveIcons)
apply_theme(app)
session = AuthSession(store=MemoryCredentialStore())
dialog = SignInDialog(None, session)
dialog.show()
app.processEvents()
with_icons = [b.text() for b in dialog.findChildren(QPushButton) if not b.icon().isNull()]
print(app.platformName(), raw, with_icons)
dialog.close()
session.close()
"""


@pytest.mark.skipif(shutil.which("xvfb-run") is None, reason="needs xvfb-run (Debian xvfb)")
def test_dialog_buttons_carry_no_desktop_icons_on_x11() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "xcb"}
    run = subprocess.run(
        ["xvfb-run", "-a", sys.executable, "-c", _SCRIPT],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    platform, desktop_hint, with_icons = run.stdout.strip().split(" ", 2)
    assert platform == "xcb"
    assert desktop_hint == "1"  # the desktop does want icons on these buttons...
    assert with_icons == "[]"  # ...and the app's style gives none
