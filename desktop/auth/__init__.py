"""Signing in: the refresh-token store (OS keyring or memory) and the signed-in session. Qt-free."""
