"""Account administration shared by the CLI and `dev`."""

from __future__ import annotations

import time

from backend.db import ConstraintError, Database, User
from backend.keys import validate_username
from backend.security import check_password_policy, hash_password

ROLES = ("user", "admin")


class UserAdminError(ValueError):
    """An account operation cannot be done; the message says why."""


def add_user(db: Database, username: str, password: str, role: str = "user") -> User:
    """Create an account.

    Raises:
        UserAdminError: Bad name, weak password, unknown role, or the name is taken.
    """
    try:
        name = validate_username(username)
        check_password_policy(password)
    except ValueError as exc:
        raise UserAdminError(str(exc)) from None
    if role not in ROLES:
        raise UserAdminError(f"role must be one of {', '.join(ROLES)}")
    try:
        return db.add_user(name, hash_password(password), role)
    except ConstraintError:
        raise UserAdminError(f"user {name!r} already exists") from None


def ensure_user(db: Database, username: str, password: str, role: str) -> User:
    """Create the account, or reset its password if it exists (used for the demo user)."""
    existing = db.get_user(username)
    if existing is None:
        return add_user(db, username, password, role)
    set_password(db, username, password)
    db.update_user(username, disabled=False)
    user = db.get_user(username)
    assert user is not None
    return user


def set_password(db: Database, username: str, password: str) -> None:
    """Change a password and sign the user out everywhere.

    Raises:
        UserAdminError: No such user, or a weak password.
    """
    try:
        check_password_policy(password)
    except ValueError as exc:
        raise UserAdminError(str(exc)) from None
    user = db.get_user(username.strip().lower())
    if user is None:
        raise UserAdminError(f"no user {username!r}")
    db.update_user(user.username, password_hash=hash_password(password))
    db.revoke_user_families(user.id, "password changed", time.time())


def set_disabled(db: Database, username: str, disabled: bool) -> None:
    """Disable (and sign out everywhere) or re-enable an account.

    Raises:
        UserAdminError: No such user.
    """
    user = db.get_user(username.strip().lower())
    if user is None:
        raise UserAdminError(f"no user {username!r}")
    db.update_user(user.username, disabled=disabled)
    if disabled:
        db.revoke_user_families(user.id, "disabled", time.time())
