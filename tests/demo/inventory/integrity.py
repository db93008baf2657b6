"""Catalog fingerprints and signed exports (CPU-bound key stretching)."""

import hashlib
import hmac
import json

from inventory.errors import ValidationError

DEFAULT_ROUNDS = 200_000


def canonical(products):
    """A byte string that only changes when the catalog content changes."""
    rows = sorted((p.to_dict() for p in products), key=lambda d: d["sku"])
    return json.dumps(rows, sort_keys=True, separators=(",", ":")).encode()


def fingerprint(products, rounds=DEFAULT_ROUNDS, salt=b"inventory"):
    """A stretched hash of the catalog, so fingerprints are costly to forge."""
    if rounds < 1:
        raise ValidationError("rounds must be at least 1")
    return hashlib.pbkdf2_hmac("sha256", canonical(products), salt, rounds).hex()


def sign_export(data, key, rounds=DEFAULT_ROUNDS):
    """'<rounds>$<hex mac>' of data under a key derived from a passphrase."""
    if not key:
        raise ValidationError("signing key must not be empty")
    derived = hashlib.pbkdf2_hmac("sha256", key.encode(), b"export-signing", rounds)
    return f"{rounds}${hmac.new(derived, data, hashlib.sha256).hexdigest()}"


def verify_export(data, key, signature):
    try:
        rounds_text, _ = signature.split("$", 1)
        rounds = int(rounds_text)
    except ValueError:
        raise ValidationError(f"malformed signature {signature!r}") from None
    return hmac.compare_digest(sign_export(data, key, rounds), signature)


def checksum_chain(blocks, rounds_per_block=1):
    """Hash chain over blocks: each link commits to all blocks before it."""
    digest = b"\x00" * 32
    chain = []
    for block in blocks:
        digest = hashlib.pbkdf2_hmac("sha256", digest + block, b"chain", rounds_per_block)
        chain.append(digest.hex())
    return chain
