"""Personal data ciphertexts: bound to field and person, versioned keys, legacy ones still read."""

import base64
import os
import uuid

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from gongjian_kit.personal_data import (
    HEADER_BYTES,
    PersonalDataError,
    PersonalDataKeyError,
    PersonalDataProtector,
    header,
    new_key,
)
from gongjian_kit.settings import ServiceSettings

NUMBER = "110105194912310021"
ALICE, BOB = uuid.uuid4(), uuid.uuid4()
OLD, NEW, HMAC = new_key(), new_key(), new_key()


def legacy_blob(key: str, value: str, field: str) -> bytes:
    """What the code before key versions wrote: nonce + ciphertext, bound to the field only."""
    nonce = os.urandom(12)
    return nonce + AESGCM(base64.b64decode(key)).encrypt(nonce, value.encode(), field.encode())


def test_round_trip_under_the_current_key_with_its_version_in_the_header():
    protector = PersonalDataProtector(OLD, HMAC, key_version=3)
    blob = protector.encrypt(NUMBER, "idNumber", ALICE)
    assert blob[:HEADER_BYTES] == header(3) == b"GJPD\x03"
    assert protector.version_of(blob) == 3
    assert protector.is_current(blob)
    assert NUMBER.encode() not in blob
    assert protector.decrypt(blob, "idNumber", ALICE) == NUMBER
    # a fresh nonce each time
    assert protector.encrypt(NUMBER, "idNumber", ALICE) != blob


def test_a_ciphertext_copied_to_another_person_does_not_decrypt():
    protector = PersonalDataProtector(OLD, HMAC)
    blob = protector.encrypt(NUMBER, "idNumber", ALICE)
    with pytest.raises(PersonalDataError) as raised:
        protector.decrypt(blob, "idNumber", BOB)
    assert str(BOB) in str(raised.value)
    assert NUMBER not in str(raised.value)


def test_a_ciphertext_copied_to_another_field_does_not_decrypt():
    protector = PersonalDataProtector(OLD, HMAC)
    blob = protector.encrypt("13812345678", "phone", ALICE)
    with pytest.raises(PersonalDataError):
        protector.decrypt(blob, "idNumber", ALICE)


def test_an_altered_version_byte_does_not_decrypt():
    protector = PersonalDataProtector(NEW, HMAC, key_version=2, old_keys={1: NEW})
    blob = protector.encrypt(NUMBER, "idNumber", ALICE)
    forged = header(1) + blob[HEADER_BYTES:]  # same key under version 1: the header is bound
    with pytest.raises(PersonalDataError):
        protector.decrypt(forged, "idNumber", ALICE)


@pytest.mark.parametrize(
    ("kwargs", "variable"),
    [
        ({"encryption_key": base64.b64encode(b"k" * 16).decode()}, "PERSONAL_DATA_KEY"),
        ({"encryption_key": ""}, "PERSONAL_DATA_KEY"),
        ({"encryption_key": "not base64!"}, "PERSONAL_DATA_KEY"),
        ({"hmac_key": base64.b64encode(b"h" * 31).decode()}, "PERSONAL_DATA_HMAC_KEY"),
        ({"hmac_key": ""}, "PERSONAL_DATA_HMAC_KEY"),
        ({"old_keys": "1:" + base64.b64encode(b"o" * 33).decode()}, "PERSONAL_DATA_OLD_KEYS"),
        ({"old_keys": "no-version-here"}, "PERSONAL_DATA_OLD_KEYS"),
        ({"key_version": 0}, "PERSONAL_DATA_KEY_VERSION"),
        ({"key_version": 256}, "PERSONAL_DATA_KEY_VERSION"),
    ],
)
def test_a_malformed_key_is_refused_at_construction_naming_its_variable(kwargs, variable):
    given = {"encryption_key": OLD, "hmac_key": HMAC, **kwargs}
    with pytest.raises(PersonalDataKeyError) as raised:
        PersonalDataProtector(**given)
    message = str(raised.value)
    assert message.startswith(variable), message
    for value in kwargs.values():  # the key itself is never printed
        if isinstance(value, str) and value:
            assert value.rpartition(":")[2] not in message


def test_wrong_length_message_says_how_many_bytes():
    short = base64.b64encode(b"k" * 16).decode()
    with pytest.raises(PersonalDataKeyError, match="PERSONAL_DATA_KEY must decode to 32 bytes"):
        PersonalDataProtector(short, HMAC)


def test_one_version_has_one_key():
    with pytest.raises(PersonalDataKeyError, match="PERSONAL_DATA_OLD_KEYS"):
        PersonalDataProtector(NEW, HMAC, key_version=2, old_keys=f"2:{OLD}")


def test_settings_build_the_protector():
    settings = ServiceSettings(
        personal_data_key=NEW,
        personal_data_hmac_key=HMAC,
        personal_data_key_version=2,
        personal_data_old_keys=f" 1:{OLD} ,",
    )
    protector = PersonalDataProtector.from_settings(settings)
    assert protector.version == 2
    assert protector.readable_versions == [2, 1, 0]
    assert OLD not in repr(settings)


def test_a_legacy_blob_still_decrypts_and_rotation_binds_it_to_its_person():
    legacy = legacy_blob(OLD, NUMBER, "idNumber")
    # Right after the upgrade: the same key, now version 1.
    upgraded = PersonalDataProtector(OLD, HMAC)
    assert upgraded.version_of(legacy) == 0
    assert not upgraded.is_current(legacy)
    assert upgraded.decrypt(legacy, "idNumber", ALICE) == NUMBER
    with pytest.raises(PersonalDataError):
        upgraded.decrypt(legacy, "phone", ALICE)  # it was bound to its field already
    # After the key changed, the old key named version 1 still reads it; so does "0:".
    for old_keys in (f"1:{OLD}", f"0:{OLD}"):
        rotated = PersonalDataProtector(NEW, HMAC, key_version=2, old_keys=old_keys)
        assert rotated.decrypt(legacy, "idNumber", ALICE) == NUMBER
        again = rotated.reencrypt(legacy, "idNumber", ALICE)
        assert rotated.is_current(again)
        assert rotated.decrypt(again, "idNumber", ALICE) == NUMBER
        with pytest.raises(PersonalDataError):
            rotated.decrypt(again, "idNumber", BOB)
    # Without the old key it cannot be read, and the error says so.
    with pytest.raises(PersonalDataError, match="no key version"):
        PersonalDataProtector(NEW, HMAC, key_version=2).decrypt(legacy, "idNumber", ALICE)


def test_a_legacy_nonce_that_looks_like_a_header_still_decrypts():
    key = base64.b64decode(OLD)
    nonce = header(1) + os.urandom(12 - HEADER_BYTES)
    legacy = nonce + AESGCM(key).encrypt(nonce, NUMBER.encode(), b"idNumber")
    protector = PersonalDataProtector(OLD, HMAC)
    assert protector.version_of(legacy) == 1  # looks versioned …
    assert protector.decrypt(legacy, "idNumber", ALICE) == NUMBER  # … and falls back


def test_after_a_rotation_of_the_current_key_the_old_version_still_decrypts():
    before = PersonalDataProtector(OLD, HMAC, key_version=1)
    old_blob = before.encrypt(NUMBER, "idNumber", ALICE)
    after = PersonalDataProtector(NEW, HMAC, key_version=2, old_keys=f"1:{OLD}")
    new_blob = after.encrypt(NUMBER, "idNumber", ALICE)
    assert after.version_of(old_blob) == 1
    assert after.version_of(new_blob) == 2
    assert after.decrypt(old_blob, "idNumber", ALICE) == NUMBER
    assert after.decrypt(new_blob, "idNumber", ALICE) == NUMBER
    # A replica that got the new key as readable only (step 1 of a rotation) reads both too.
    ahead = PersonalDataProtector(OLD, HMAC, key_version=1, old_keys=f"2:{NEW}")
    assert ahead.decrypt(new_blob, "idNumber", ALICE) == NUMBER
    # The old configuration alone cannot read the new version, and says which version it lacks.
    with pytest.raises(PersonalDataError, match="key version 2 is not configured"):
        before.decrypt(new_blob, "idNumber", ALICE)
    # Once the old key is dropped, version 1 is no longer readable.
    with pytest.raises(PersonalDataError, match="key version 1 is not configured"):
        PersonalDataProtector(NEW, HMAC, key_version=2).decrypt(old_blob, "idNumber", ALICE)


def test_the_lookup_hash_does_not_depend_on_the_encryption_key():
    one = PersonalDataProtector(OLD, HMAC)
    two = PersonalDataProtector(NEW, HMAC, key_version=2, old_keys={1: OLD})
    assert one.lookup_hash(NUMBER, "idNumber") == two.lookup_hash(NUMBER, "idNumber")
    assert one.lookup_hash(NUMBER, "idNumber") != one.lookup_hash(NUMBER, "phone")
