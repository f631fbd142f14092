"""S3 lifecycle rules per kind prefix: retention, and a backstop that aborts orphaned uploads."""

from __future__ import annotations

from typing import Any

from backend.keys import KINDS
from backend.storage import Storage

RULE_PREFIX = "proctor-"


def rule_for(kind: str, *, expire_days: int | None, abort_days: int | None) -> dict[str, Any]:
    """The rule for `recordings/{kind}/`.

    Raises:
        ValueError: Unknown kind, non-positive days, or neither setting given.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(KINDS)}")
    if expire_days is None and abort_days is None:
        raise ValueError("give --expire-days, --abort-incomplete-days, or both")
    for name, days in (("--expire-days", expire_days), ("--abort-incomplete-days", abort_days)):
        if days is not None and days < 1:
            raise ValueError(f"{name} must be at least 1")
    rule: dict[str, Any] = {
        "ID": f"{RULE_PREFIX}{kind}",
        "Filter": {"Prefix": f"recordings/{kind}/"},
        "Status": "Enabled",
    }
    if expire_days is not None:
        rule["Expiration"] = {"Days": expire_days}
    if abort_days is not None:
        rule["AbortIncompleteMultipartUpload"] = {"DaysAfterInitiation": abort_days}
    return rule


def apply_rules(
    storage: Storage, *, kinds: list[str], expire_days: int | None, abort_days: int | None
) -> list[dict[str, Any]]:
    """Replace this service's rules for `kinds`, keep every other rule; returns the new rule set."""
    new = [rule_for(k, expire_days=expire_days, abort_days=abort_days) for k in kinds]
    replaced = {r["ID"] for r in new}
    kept = [r for r in storage.get_lifecycle_rules() if r.get("ID") not in replaced]
    rules = kept + new
    storage.put_lifecycle_rules(rules)
    return rules
