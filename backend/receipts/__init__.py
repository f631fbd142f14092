"""Signed receipts: the backend's Ed25519 keys, the receipts it issues, and the audit of storage."""
