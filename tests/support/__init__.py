"""Real servers and tools the tests run on 127.0.0.1: storage, the backend, a fault proxy, a keyring."""
