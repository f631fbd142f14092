"""Auth tests use a real Secret Service (private gnome-keyring) through the shared fixtures."""

from tests.support.fixtures import secret_service_keyring, use_secret_service

__all__ = ["secret_service_keyring", "use_secret_service"]
