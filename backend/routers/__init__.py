"""One router per resource: auth, uploads, health, files (single PUT for existing clients)."""
