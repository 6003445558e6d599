"""Personal data at rest: encrypted (AES-256-GCM), found by a keyed hash (HMAC-SHA256).

Resident ID numbers and phones are never stored in clear: the ciphertext is for showing the
number to those allowed, the hash for finding duplicates and looking a person up.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

KEY_BYTES = 32
NONCE_BYTES = 12


def new_key() -> str:
    """A fresh base64 key, for development stacks and tests."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


class PersonalDataProtector:
    """Encrypts, decrypts and hashes personal data fields with keys from the settings."""

    def __init__(self, encryption_key: str, hmac_key: str) -> None:
        if not encryption_key or not hmac_key:
            raise RuntimeError("PERSONAL_DATA_KEY and PERSONAL_DATA_HMAC_KEY must be set")
        self._aead = AESGCM(base64.b64decode(encryption_key))
        self._hmac_key = base64.b64decode(hmac_key)

    def encrypt(self, value: str, field: str) -> bytes:
        """Ciphertext bound to its field name, so a phone cannot pass for an ID number."""
        nonce = os.urandom(NONCE_BYTES)
        return nonce + self._aead.encrypt(nonce, value.encode(), field.encode())

    def decrypt(self, blob: bytes, field: str) -> str:
        return self._aead.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], field.encode()).decode()

    def lookup_hash(self, value: str, field: str) -> bytes:
        return hmac.new(self._hmac_key, f"{field}:{value}".encode(), hashlib.sha256).digest()
