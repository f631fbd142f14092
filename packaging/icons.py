"""Render the app icon (``resources/icons/app.svg``) into the files installers need.

- Windows: ``app.ico`` (16-256 px), embedded in ``proctor-uploader.exe`` by ``build.spec``.
- macOS: ``app.icns`` (16-1024 px, Retina sizes included), the ``.app`` bundle's icon.
- Linux: ``proctor-uploader-<size>.png`` for the hicolor theme (``packaging/linux/install.sh`` also
  installs the SVG itself, which most desktops prefer).

Every size is rendered from the SVG with Qt, so the icons never drift from the one the app shows.
Both container formats hold PNG images, which Windows Vista+ and macOS 10.7+ read. Usage::

    python packaging/icons.py OUT_DIR
"""

from __future__ import annotations

import os
import struct
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
APP_SVG = ROOT / "resources" / "icons" / "app.svg"

ICO_SIZES = (16, 20, 24, 32, 40, 48, 64, 128, 256)
#: ICNS element types holding PNG data, and their pixel sizes (the @2x ones are Retina variants).
ICNS_TYPES = (
    (b"ic07", 128),
    (b"ic08", 256),
    (b"ic09", 512),
    (b"ic10", 1024),
    (b"ic11", 32),
    (b"ic12", 64),
    (b"ic13", 256),
    (b"ic14", 512),
)
PNG_SIZES = (16, 24, 32, 48, 64, 128, 256, 512)


def render_pngs(svg: Path, sizes: set[int]) -> dict[int, bytes]:
    """Render ``svg`` at each size (square, transparent background); PNG bytes by size."""
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, Qt
    from PySide6.QtGui import QGuiApplication, QImage, QPainter
    from PySide6.QtSvg import QSvgRenderer
    from PySide6.QtWidgets import QApplication

    # A QApplication, not a QGuiApplication: when this runs inside the test process, the widget
    # tests that come later need the one application object to be a QApplication.
    _app = QGuiApplication.instance() or QApplication([sys.argv[0]])
    renderer = QSvgRenderer(str(svg))
    if not renderer.isValid():
        raise ValueError(f"{svg} is not a valid SVG")
    pngs = {}
    for size in sorted(sizes):
        image = QImage(size, size, QImage.Format.Format_ARGB32)
        image.fill(Qt.GlobalColor.transparent)
        painter = QPainter(image)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        data = QByteArray()
        buffer = QBuffer(data)
        buffer.open(QIODevice.OpenModeFlag.WriteOnly)
        # PySide6's stubs type the format as bytes, but at run time it must be a str.
        if not image.save(buffer, "PNG"):  # type: ignore[call-overload]
            raise RuntimeError(f"Qt could not encode a {size} px PNG")
        pngs[size] = bytes(data.data())
    del _app
    return pngs


def ico_bytes(pngs: dict[int, bytes]) -> bytes:
    """A Windows ICO holding one PNG image per size (sizes 1-256)."""
    sizes = sorted(pngs)
    header = struct.pack("<HHH", 0, 1, len(sizes))
    offset = len(header) + 16 * len(sizes)
    entries, images = b"", b""
    for size in sizes:
        if not 1 <= size <= 256:
            raise ValueError(f"an ICO image is 1 to 256 px wide, not {size}")
        data = pngs[size]
        dim = 0 if size == 256 else size  # 0 means 256 in an ICO directory
        entries += struct.pack("<BBBBHHII", dim, dim, 0, 0, 1, 32, len(data), offset)
        images += data
        offset += len(data)
    return header + entries + images


def icns_bytes(pngs: dict[int, bytes]) -> bytes:
    """A macOS ICNS holding the PNG element of every type in :data:`ICNS_TYPES`."""
    body = b""
    for kind, size in ICNS_TYPES:
        data = pngs[size]
        body += kind + struct.pack(">I", 8 + len(data)) + data
    return b"icns" + struct.pack(">I", 8 + len(body)) + body


def write_icons(out_dir: Path, svg: Path = APP_SVG) -> dict[str, Path]:
    """Write ``app.ico``, ``app.icns`` and the hicolor PNGs into ``out_dir``.

    Returns:
        The written files by kind (``ico``, ``icns``, ``png16`` ...).
    """
    out_dir.mkdir(parents=True, exist_ok=True)
    sizes = set(ICO_SIZES) | {size for _, size in ICNS_TYPES} | set(PNG_SIZES)
    pngs = render_pngs(svg, sizes)
    written = {"ico": out_dir / "app.ico", "icns": out_dir / "app.icns"}
    written["ico"].write_bytes(ico_bytes({s: pngs[s] for s in ICO_SIZES}))
    written["icns"].write_bytes(icns_bytes(pngs))
    for size in PNG_SIZES:
        path = out_dir / f"proctor-uploader-{size}.png"
        path.write_bytes(pngs[size])
        written[f"png{size}"] = path
    return written


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python packaging/icons.py OUT_DIR")
    for path in write_icons(Path(sys.argv[1])).values():
        sys.stdout.write(f"{path}\n")
