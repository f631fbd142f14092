"""The chaos soak: many uploads through faults, kills and restarts, then proof nothing was lost.

Run it with ``python -m tests.soak --files N --max-size SIZE --seed S`` (see
``docs/reliability.md``); ``tests/soak/test_soak_small.py`` runs a small version under pytest.
"""
