"""The PySide6 desktop app. Only the composition root (`desktop.app`) imports
this package, so everything else runs without Qt."""
