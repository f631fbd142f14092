"""The headless command line: login, upload, resume, status, receipts, cancel, logout."""
