"""Real servers and tools the tests run on 127.0.0.1: storage, backend, fault proxy, keyring."""
