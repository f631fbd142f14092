"""Proctor Uploader: exam recordings straight to S3-compatible storage through presigned URLs."""

__version__ = "0.1.0"
APP_ID = "proctor-uploader"
APP_NAME = "Proctor Uploader"
