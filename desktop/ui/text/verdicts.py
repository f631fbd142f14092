"""A receipt verdict's reason in the user's language.

The verifier (`desktop.trust.verify`) is Qt-free and the one home of every reason's English
template; the CLI prints it as it is. Here the template is looked up in the catalogue (context
"verdicts") and filled in with the same values, so a Korean proctor reads the reason in Korean.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication

from desktop.trust.verify import Verdict


def reason_text(verdict: Verdict) -> str:
    """`verdict.reason`, translated into the current language."""
    return QCoreApplication.translate("verdicts", verdict.template).format(**verdict.values)
