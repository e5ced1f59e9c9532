"""Whole files at rest: encrypted and authenticated, readable only with the installation's key."""

import pytest
from cryptography.fernet import Fernet

from portal import crypto

CONTENT = "第57行 身份证号 330784199001011234".encode() * 1000


def test_a_file_comes_back_as_it_was_and_is_not_readable_at_rest():
    stored = crypto.encrypt_bytes(CONTENT)
    assert b"330784199001011234" not in stored
    assert crypto.decrypt_bytes(stored) == CONTENT
    assert crypto.encrypt_bytes(CONTENT) != stored  # a fresh nonce each time


def test_files_stored_as_fernet_tokens_are_still_read(settings):
    old = Fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(CONTENT)
    assert crypto.decrypt_bytes(old) == CONTENT


@pytest.mark.parametrize("damage", ["flip a byte", "cut short"])
def test_a_changed_file_is_refused(damage):
    stored = bytearray(crypto.encrypt_bytes(CONTENT))
    if damage == "flip a byte":
        stored[len(stored) // 2] ^= 1
    else:
        del stored[-100:]
    with pytest.raises(ValueError, match="FIELD_ENCRYPTION_KEY"):
        crypto.decrypt_bytes(bytes(stored))


def test_another_key_cannot_read_it(settings):
    stored = crypto.encrypt_bytes(CONTENT)
    settings.FIELD_ENCRYPTION_KEY = Fernet.generate_key().decode()
    with pytest.raises(ValueError, match="FIELD_ENCRYPTION_KEY"):
        crypto.decrypt_bytes(stored)
