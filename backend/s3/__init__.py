"""A lean S3 client for the calls every upload makes (see `backend.s3.client`)."""
