"""Personal data at rest: encrypted fields, a blind index for exact search, and masking for display.

The key comes from ``settings.FIELD_ENCRYPTION_KEY`` (Fernet, from the environment) and never enters the
database. An ID number is stored encrypted plus an HMAC "blind index", so ``WHERE id_hash = …`` still finds a
person by exact ID without the database ever seeing the number.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken
from django.conf import settings
from django.db import models


@lru_cache(maxsize=4)
def _fernet(key: str) -> Fernet:
    return Fernet(key)


@lru_cache(maxsize=4)
def _index_key(key: str) -> bytes:
    # A separate key for the blind index, derived from the encryption key (never the same bytes).
    return hashlib.sha256(b"portal-blind-index:" + base64.urlsafe_b64decode(key)).digest()


def encrypt(value: str) -> str:
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ValueError("personal data cannot be decrypted with the configured FIELD_ENCRYPTION_KEY") from exc


def blind_index(value: str) -> str:
    """Hex HMAC-SHA256 of the normalised value: equal inputs give equal indexes, nothing else is revealed."""
    normalised = value.strip().upper()
    return hmac.new(_index_key(settings.FIELD_ENCRYPTION_KEY), normalised.encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text value stored as a Fernet token. Cannot be filtered or ordered on (use a blind index)."""

    def from_db_value(self, value, expression, connection):
        return None if value is None or value == "" else decrypt(value)

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        return value if value in (None, "") else encrypt(value)


def mask_name(name: str) -> str:
    """王小明 → 王*明, 王明 → 王*, 欧阳小明 → 欧**明."""
    name = (name or "").strip()
    if len(name) <= 1:
        return "*" if name else ""
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


def mask_id_number(number: str) -> str:
    """330784199001011234 → 330784********1234 (region kept for statistics, birth date and serial hidden)."""
    number = (number or "").strip()
    if len(number) < 10:
        return "*" * len(number)
    return number[:6] + "*" * (len(number) - 10) + number[-4:]


def encrypt_bytes(data: bytes) -> bytes:
    """Whole files at rest (uploaded import sheets, checked rows): a Fernet token of the bytes."""
    return _fernet(settings.FIELD_ENCRYPTION_KEY).encrypt(data)


def decrypt_bytes(token: bytes) -> bytes:
    try:
        return _fernet(settings.FIELD_ENCRYPTION_KEY).decrypt(token)
    except InvalidToken as exc:
        raise ValueError("data cannot be decrypted with the configured FIELD_ENCRYPTION_KEY") from exc
