"""The transfer engine: resumable presigned multipart uploads, Qt-free (see
docs/architecture.md)."""
