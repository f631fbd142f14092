"""Auth tests: a real Secret Service (private gnome-keyring) and the real backend, both shared."""

from tests.support.fixtures import (
    account,
    api_backend,
    moto_s3,
    secret_service_keyring,
    use_secret_service,
)

__all__ = ["account", "api_backend", "moto_s3", "secret_service_keyring", "use_secret_service"]
