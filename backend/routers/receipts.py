"""The receipt-signing public keys, so anyone can verify a receipt without the backend."""

from __future__ import annotations

from fastapi import APIRouter, Response

from backend.deps import ServicesDep
from backend.models import ReceiptKeySet

router = APIRouter(tags=["receipts"])


@router.get("/receipts/keys")
async def receipt_keys(services: ServicesDep, response: Response) -> ReceiptKeySet:
    """The JWK Set of every key that signs or signed receipts (no sign-in needed: public keys)."""
    # Short caching: a rotation shows within minutes, and clients that pin keys re-fetch anyway.
    response.headers["Cache-Control"] = "public, max-age=300"
    return ReceiptKeySet.model_validate(services.signing_keys.jwks())
