"""Packaging tests: the self-test from source, the build tools, and (slow) a real frozen build."""

from tests.support.fixtures import secret_service_keyring

__all__ = ["secret_service_keyring"]
