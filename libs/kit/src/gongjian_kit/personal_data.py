"""Personal data at rest: encrypted (AES-256-GCM), found by a keyed hash (HMAC-SHA256).

Resident ID numbers and phones are never stored in clear: the ciphertext is for showing the
number to those allowed, the hash for finding duplicates and looking a person up.

A ciphertext is ``HEADER + nonce (12 bytes) + AES-GCM ciphertext and tag``, where ``HEADER`` is
the 4-byte magic ``GJPD`` and the key version (1 byte, 1-255). Its associated data is the header,
the field name and the owner's id (``HEADER + field + 0x00 + owner.bytes``), so a ciphertext
copied into another person's row, or into another field, fails to decrypt, and its version
cannot be changed either.

Keys rotate: new ciphertexts are written under the current key (``PERSONAL_DATA_KEY``, version
``PERSONAL_DATA_KEY_VERSION``); ciphertexts under the keys in ``PERSONAL_DATA_OLD_KEYS``
(``version:base64key,…``) stay readable until `gongjian keys rotate` has re-encrypted them.

Legacy ciphertexts (written before versions existed: ``nonce + ciphertext``, bound to the field
name only) are version 0. They are read with the key listed as version 0 in
``PERSONAL_DATA_OLD_KEYS`` if there is one, else with the version-1 key (the key that was
``PERSONAL_DATA_KEY`` when versions were introduced). A legacy nonce starts with the magic and a
known version by chance once in 2^40 ciphertexts; reading then falls back to the legacy layout
(and if that version is the current one, `keys rotate` takes it for done: it stays readable for
as long as the legacy key is configured). Legacy ciphertexts are not bound to their person:
`keys rotate` re-encrypts them so that they are.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import uuid
from collections.abc import Mapping
from typing import TYPE_CHECKING

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from prometheus_client import Counter

if TYPE_CHECKING:
    from gongjian_kit.runtime import Runtime
    from gongjian_kit.settings import ServiceSettings

KEY_BYTES = 32
NONCE_BYTES = 12
MAGIC = b"GJPD"
HEADER_BYTES = len(MAGIC) + 1
LEGACY_VERSION = 0
MAX_VERSION = 255

KEY_VARIABLE = "PERSONAL_DATA_KEY"
VERSION_VARIABLE = "PERSONAL_DATA_KEY_VERSION"
OLD_KEYS_VARIABLE = "PERSONAL_DATA_OLD_KEYS"
HMAC_VARIABLE = "PERSONAL_DATA_HMAC_KEY"

unreadable_total = Counter(
    "gongjian_personal_data_unreadable_total",
    "Ciphertexts that did not decrypt (another person's or field's, altered, or key gone): "
    "alert when it rises",
    ["field"],
)


class PersonalDataKeyError(ValueError):
    """A key is missing or malformed. The message names the variable, never the key."""


class PersonalDataError(Exception):
    """A ciphertext cannot be decrypted: another person's or field's, altered, or its key gone."""


def new_key() -> str:
    """A fresh base64 key, for development stacks and tests."""
    return base64.b64encode(os.urandom(KEY_BYTES)).decode()


def header(version: int) -> bytes:
    """The bytes every ciphertext under key ``version`` starts with."""
    return MAGIC + bytes([version])


def decode_key(value: str, variable: str) -> bytes:
    """A base64 key of exactly 32 bytes, or an error naming ``variable`` (not the value)."""
    if not value or not value.strip():
        raise PersonalDataKeyError(
            f"{variable} is not set: give a base64 key of {KEY_BYTES} bytes "
            "(e.g. `openssl rand -base64 32`)"
        )
    try:
        key = base64.b64decode(value.strip(), validate=True)
    except (binascii.Error, ValueError):
        raise PersonalDataKeyError(f"{variable} is not valid base64") from None
    if len(key) != KEY_BYTES:
        raise PersonalDataKeyError(
            f"{variable} must decode to {KEY_BYTES} bytes, not {len(key)} "
            "(e.g. `openssl rand -base64 32`)"
        )
    return key


def _check_version(version: int, variable: str, *, legacy: bool = False) -> None:
    lowest = LEGACY_VERSION if legacy else 1
    if not lowest <= version <= MAX_VERSION:
        raise PersonalDataKeyError(
            f"{variable}: a key version is a whole number from {lowest} to {MAX_VERSION}, "
            f"not {version}"
        )


def parse_old_keys(value: str) -> dict[int, bytes]:
    """``version:base64key,…`` (``PERSONAL_DATA_OLD_KEYS``) as {version: key}."""
    found: dict[int, bytes] = {}
    for position, entry in enumerate((e.strip() for e in value.split(",")), start=1):
        if not entry:
            continue
        version_text, sep, key_text = entry.partition(":")
        if not sep or not version_text.strip().isdigit():
            raise PersonalDataKeyError(
                f"{OLD_KEYS_VARIABLE}: entry {position} is not `version:base64key`"
            )
        version = int(version_text)
        _check_version(version, OLD_KEYS_VARIABLE, legacy=True)
        if version in found:
            raise PersonalDataKeyError(f"{OLD_KEYS_VARIABLE} lists version {version} twice")
        found[version] = decode_key(key_text, f"{OLD_KEYS_VARIABLE} (version {version})")
    return found


class PersonalDataProtector:
    """Encrypts, decrypts and hashes personal data fields with keys from the settings.

    Every key is checked when the protector is made (at start-up): base64 of exactly 32 bytes.
    """

    def __init__(
        self,
        encryption_key: str,
        hmac_key: str,
        *,
        key_version: int = 1,
        old_keys: str | Mapping[int, str] = "",
    ) -> None:
        _check_version(key_version, VERSION_VARIABLE)
        current = decode_key(encryption_key, KEY_VARIABLE)
        if isinstance(old_keys, str):
            older = parse_old_keys(old_keys)
        else:
            older = {}
            for v, k in old_keys.items():
                _check_version(v, OLD_KEYS_VARIABLE, legacy=True)
                older[v] = decode_key(k, f"{OLD_KEYS_VARIABLE} (version {v})")
        if older.get(key_version, current) != current:
            raise PersonalDataKeyError(
                f"{OLD_KEYS_VARIABLE} gives version {key_version} a key other than "
                f"{KEY_VARIABLE}: each version has one key"
            )
        self.version = key_version
        self._header = header(key_version)
        self._keys = {v: AESGCM(k) for v, k in older.items() if v != LEGACY_VERSION}
        self._keys[key_version] = AESGCM(current)
        # Legacy (unversioned) ciphertexts: the key named version 0, else the version-1 key.
        legacy = older.get(LEGACY_VERSION)
        self._legacy = AESGCM(legacy) if legacy is not None else self._keys.get(1)
        # One HMAC key, never versioned: the hash is matched for equality in SQL (duplicates,
        # look-up by ID number), so changing this key means recomputing every person's
        # id_number_hash from the decrypted number at once, which `keys rotate` does not do.
        self._hmac_key = decode_key(hmac_key, HMAC_VARIABLE)

    @classmethod
    def from_settings(cls, settings: ServiceSettings) -> PersonalDataProtector:
        return cls(
            settings.personal_data_key,
            settings.personal_data_hmac_key,
            key_version=settings.personal_data_key_version,
            old_keys=settings.personal_data_old_keys,
        )

    @property
    def current_header(self) -> bytes:
        """What a ciphertext under the current key starts with."""
        return self._header

    @property
    def readable_versions(self) -> list[int]:
        """The key versions this protector can decrypt (0: legacy), newest first."""
        found = set(self._keys) | ({LEGACY_VERSION} if self._legacy is not None else set())
        return sorted(found, reverse=True)

    @staticmethod
    def _aad(head: bytes, field: str, owner: uuid.UUID) -> bytes:
        return head + field.encode() + b"\x00" + owner.bytes

    def encrypt(self, value: str, field: str, owner: uuid.UUID) -> bytes:
        """Ciphertext under the current key, bound to its field and owner (the person's id)."""
        return self.encrypt_bytes(value.encode(), field, owner)

    def encrypt_bytes(self, value: bytes, field: str, owner: uuid.UUID) -> bytes:
        """As :meth:`encrypt`, for a document holding personal data (e.g. a certificate PDF)."""
        nonce = os.urandom(NONCE_BYTES)
        aead = self._keys[self.version]
        sealed = aead.encrypt(nonce, value, self._aad(self._header, field, owner))
        return self._header + nonce + sealed

    def version_of(self, blob: bytes) -> int:
        """The key version a ciphertext names in its header (0: legacy, no header)."""
        if len(blob) > HEADER_BYTES and blob[: len(MAGIC)] == MAGIC and blob[len(MAGIC)] >= 1:
            return blob[len(MAGIC)]
        return LEGACY_VERSION

    def is_current(self, blob: bytes) -> bool:
        return blob[:HEADER_BYTES] == self._header

    def decrypt(self, blob: bytes, field: str, owner: uuid.UUID) -> str:
        """The clear value, or :class:`PersonalDataError` (which never holds the value)."""
        return self.decrypt_bytes(blob, field, owner).decode()

    def decrypt_bytes(self, blob: bytes, field: str, owner: uuid.UUID) -> bytes:
        """As :meth:`decrypt`, for a document (:meth:`encrypt_bytes`)."""
        blob = bytes(blob)
        version = self.version_of(blob)
        why = "it belongs to another person or field, or was altered"
        if version != LEGACY_VERSION:
            aead = self._keys.get(version)
            if aead is not None:
                head, rest = blob[:HEADER_BYTES], blob[HEADER_BYTES:]
                try:
                    return aead.decrypt(
                        rest[:NONCE_BYTES], rest[NONCE_BYTES:], self._aad(head, field, owner)
                    )
                except (InvalidTag, ValueError):
                    pass  # or a legacy nonce that happens to look like a header: try that
            else:
                why = (
                    f"key version {version} is not configured "
                    f"({KEY_VARIABLE} or {OLD_KEYS_VARIABLE})"
                )
        if self._legacy is not None:
            try:
                return self._legacy.decrypt(blob[:NONCE_BYTES], blob[NONCE_BYTES:], field.encode())
            except (InvalidTag, ValueError):  # ValueError: too short to hold a nonce
                pass
        elif version == LEGACY_VERSION:
            why = "it has no key version, and no version-0 or version-1 key is configured"
        unreadable_total.labels(field).inc()
        raise PersonalDataError(f"cannot decrypt {field} of {owner}: {why}")

    def reencrypt(self, blob: bytes, field: str, owner: uuid.UUID) -> bytes:
        """The same value under the current key (for rotation)."""
        return self.encrypt(self.decrypt(blob, field, owner), field, owner)

    def lookup_hash(self, value: str, field: str) -> bytes:
        return hmac.new(self._hmac_key, f"{field}:{value}".encode(), hashlib.sha256).digest()


def protector_of(runtime: Runtime) -> PersonalDataProtector:
    """The runtime's protector, made from its settings on first use."""
    found = runtime.extras.get("protector")
    if found is None:
        found = PersonalDataProtector.from_settings(runtime.settings)
        runtime.extras["protector"] = found
    assert isinstance(found, PersonalDataProtector)
    return found


# Phones and names as shown to those who may not see them (and the phone's form).
PHONE = re.compile(r"^1[3-9][0-9]{9}$")


def phone_problem(phone: str) -> tuple[str, str] | None:
    """Why a mobile number is not one (zh, en), or None."""
    if not PHONE.match(phone):
        return (
            "手机号码应为以1开头的11位数字",
            "The phone number must be 11 digits starting with 1",
        )
    return None


def mask_phone(phone: str) -> str:
    """``*******5678``: the last 4 digits only."""
    return "*" * (len(phone) - 4) + phone[-4:]


def mask_name(name: str) -> str:
    """张三 → 张*, 张三丰 → 张*丰: enough to match the paper, not to learn a name."""
    if len(name) <= 1:
        return "*"
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]
