"""Exam completeness for coordinators (admins only)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from backend.deps import ServicesDep, UserDep
from backend.errors import ApiError
from backend.exams import exam_report
from backend.keys import EXAM_ID_PATTERN
from backend.models import ExamReport

router = APIRouter(tags=["exams"])


@router.get(
    "/exams/{exam_id}",
    responses={
        401: {"description": "Missing or invalid access token"},
        403: {"description": "Not an admin"},
    },
)
def show_exam(
    exam_id: Annotated[str, Path(max_length=128, pattern=EXAM_ID_PATTERN)],
    user: UserDep,
    services: ServicesDep,
) -> ExamReport:
    """Per proctor, every upload of the exam: state, bytes, signed receipt, latest audit."""
    # A plain `def` on purpose: a large exam means thousands of rows and their audits, which
    # must not hold up the event loop the way one indexed read may.
    if not user.is_admin:
        # Proctors see their own uploads through /uploads; an exam's full roster is not theirs.
        raise ApiError(403, "forbidden", "Only an administrator can see an exam's uploads.")
    return ExamReport.model_validate(exam_report(services.db, exam_id))
