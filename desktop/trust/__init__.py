"""Trust in the backend's signed receipts: pinned server keys and offline verification (no Qt)."""
