"""Keep the translation catalogues in step with the code.

    .venv/bin/python tools/translations.py update    # lupdate: add new strings to the .ts files
    .venv/bin/python tools/translations.py release   # lrelease: compile .ts -> .qm (commit both)
    .venv/bin/python tools/translations.py check     # exit 1 if a string is untranslated or stale

`resources/translations/proctor_ko.ts` is the Korean catalogue (translate new entries with Qt
Linguist or by editing the XML); `proctor_en.ts` holds only English plural forms ("1 file",
"2 files"), because the source strings say "%n file(s)". The .qm files are committed so the app
runs from a checkout without Qt's tools; tests/ui/test_i18n.py fails when they are out of date.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = ROOT / "resources" / "translations"
BIN = Path(sys.executable).parent
LANGUAGES = {"ko": [], "en": ["-pluralonly"]}


def sources() -> list[str]:
    """Every file lupdate scans: the UI package, and Qt-free modules marking texts for it."""
    files = set((ROOT / "desktop" / "ui").rglob("*.py"))
    files |= {
        p
        for p in (ROOT / "desktop").rglob("*.py")
        if "QT_TRANSLATE_NOOP(" in p.read_text(encoding="utf-8")
    }
    return sorted(str(p.relative_to(ROOT)) for p in files)


def lupdate(ts: Path, extra: list[str]) -> None:
    """Merge the code's strings into `ts` (no line numbers: they only churn diffs)."""
    subprocess.run(
        [str(BIN / "pyside6-lupdate"), *sources(), "-locations", "none", "-no-obsolete",
         "-target-language", ts.stem.split("_")[-1], *extra, "-ts", str(ts)],
        check=True, cwd=ROOT, capture_output=True,
    )  # fmt: skip


def lrelease(ts: Path, qm: Path) -> None:
    """Compile `ts` into `qm`."""
    subprocess.run(
        [str(BIN / "pyside6-lrelease"), str(ts), "-qm", str(qm)],
        check=True, cwd=ROOT, capture_output=True,
    )  # fmt: skip


def problems(ts: Path) -> list[str]:
    """Untranslated or vanished entries of `ts`."""
    found = []
    for context in ET.parse(ts).getroot().iter("context"):
        name = context.findtext("name")
        for message in context.iter("message"):
            translation = message.find("translation")
            kind = translation.get("type") if translation is not None else "missing"
            texts = (
                []
                if translation is None
                else [translation.text or ""]
                + [form.text or "" for form in translation.iter("numerusform")]
            )
            if kind in ("unfinished", "vanished", "obsolete", "missing") or not any(
                t.strip() for t in texts
            ):
                found.append(f"{ts.name}: [{name}] {message.findtext('source')!r} ({kind})")
    return found


def check() -> int:
    """Fail when the catalogues miss strings the code uses, or a .qm is stale."""
    failures: list[str] = []
    with tempfile.TemporaryDirectory() as tmp:
        for code, extra in LANGUAGES.items():
            ts = TRANSLATIONS / f"proctor_{code}.ts"
            fresh = Path(tmp) / ts.name
            fresh.write_bytes(ts.read_bytes())
            lupdate(fresh, extra)
            failures += problems(fresh)
            qm = Path(tmp) / f"proctor_{code}.qm"
            lrelease(ts, qm)
            if qm.read_bytes() != (TRANSLATIONS / qm.name).read_bytes():
                failures.append(f"{qm.name} is out of date: run tools/translations.py release")
    for failure in failures:
        sys.stdout.write(failure + "\n")
    return 1 if failures else 0


def main(argv: list[str]) -> int:
    """Run `update`, `release` or `check`."""
    command = argv[0] if argv else "check"
    if command == "update":
        for code, extra in LANGUAGES.items():
            lupdate(TRANSLATIONS / f"proctor_{code}.ts", extra)
        return 0
    if command == "release":
        for code in LANGUAGES:
            lrelease(TRANSLATIONS / f"proctor_{code}.ts", TRANSLATIONS / f"proctor_{code}.qm")
        return 0
    return check()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
