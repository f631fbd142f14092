"""The PySide6 desktop app. Only `desktop.app` imports this package (STYLE D1)."""
