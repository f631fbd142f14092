"""The headless command line: `proctor-uploader login|upload|resume|status|receipts|cancel|logout`."""
