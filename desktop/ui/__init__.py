"""The PySide6 desktop app. Only the composition root imports this package (`desktop.app`, and the
entry point `desktop.__main__` for the self-test's Qt half), so everything else runs without Qt."""
