"""The reference backend: authenticates proctors and presigns S3 multipart uploads."""

__version__ = "0.1.0"
