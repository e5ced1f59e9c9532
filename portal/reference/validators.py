"""Check-digit validators for Chinese identifiers, with messages in Chinese (English msgids).

- ``validate_credit_code``: 统一社会信用代码, GB 32100-2015, including the embedded 组织机构代码 (GB 11714).
- ``validate_id_number``: 公民身份号码, GB 11643-1999 (18 characters, ISO 7064 MOD 11-2).

Both accept surrounding blanks and a lower-case letter; store the value returned by ``normalize_credit_code`` /
``normalize_id_number`` (upper case, no blanks). They raise ``django.core.exceptions.ValidationError`` with a
``code`` that callers and tests can rely on (see the ``code=`` arguments below).
"""

from __future__ import annotations

import contextlib
import contextvars
import datetime
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# --- 统一社会信用代码 (GB 32100-2015) ------------------------------------------------------------------

#: The 31 characters of GB 32100; I, O, S, V and Z are never used. The index of a character is its value.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_CREDIT_VALUE = {c: i for i, c in enumerate(CREDIT_CODE_CHARSET)}
_CREDIT_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_RE = re.compile(f"^[{CREDIT_CODE_CHARSET}]{{18}}$")

# 组织机构代码 (GB 11714-1997): 8 body characters (digits or letters, A = 10 … Z = 35) and a check character.
_ORG_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)


def normalize_credit_code(value: str) -> str:
    """Strip blanks and upper-case: the form to store."""
    return re.sub(r"\s+", "", str(value or "")).upper()


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a 统一社会信用代码 for its first 17 characters (GB 32100 §5)."""
    total = sum(_CREDIT_VALUE[c] * w for c, w in zip(first17, _CREDIT_WEIGHTS, strict=True))
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def org_code_check_char(body8: str) -> str:
    """The 9th character of a 组织机构代码 for its first 8 characters (GB 11714): a digit or ``X``."""
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def build_credit_code(region_code: str, org_body: str, *, authority: str = "9", kind: str = "1") -> str:
    """A valid 统一社会信用代码 from its parts: registration authority (9 = 市场监管), kind (1 = enterprise),
    the 6-digit region code and the first 8 characters of the organisation code (check characters added).
    Used for demo data and tests."""
    org = org_body + org_code_check_char(org_body)
    first17 = authority + kind + region_code + org
    return first17 + credit_code_check_char(first17)


def validate_credit_code(value: str) -> None:
    """Validate a 统一社会信用代码 (GB 32100-2015).

    Checks length (18), the character set, the weighted MOD 31 check character, and the check character of the
    embedded organisation code (characters 9–17, GB 11714 MOD 11, which may be ``X``). The first character is
    the registration authority (1 机构编制, 5 民政, 9 市场监管, N 农业农村, Y 其他, …) and is only checked
    against the character set.
    """
    code = normalize_credit_code(value)
    if len(code) != 18:
        raise ValidationError(_("A unified social credit code has 18 characters."), code="length")
    if not _CREDIT_RE.match(code):
        raise ValidationError(
            _("Only digits and capital letters other than I, O, S, V and Z are allowed."),
            code="charset",
        )
    if credit_code_check_char(code[:17]) != code[17]:
        raise ValidationError(_("Check digit is wrong."), code="check_digit")
    if org_code_check_char(code[8:16]) != code[16]:
        raise ValidationError(
            _("The check digit of the embedded organisation code (characters 9 to 17) is wrong."),
            code="org_code_check_digit",
        )


# --- 公民身份号码 (GB 11643-1999) --------------------------------------------------------------------------

_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_RE = re.compile(r"^\d{17}[\dX]$")
#: Region parts that are not GB/T 2260 county codes but appear on valid numbers: residence permits for
#: residents of Hong Kong, Macao and Taiwan (港澳台居民居住证).
RESIDENCE_PERMIT_REGION_CODES = frozenset({"810000", "820000", "830000"})
ID_MIN_BIRTH_DATE = datetime.date(1900, 1, 1)


def normalize_id_number(value: str) -> str:
    """Strip blanks and upper-case the check character ``x`` → ``X``: the form to store."""
    value = str(value or "")
    if value.isalnum():  # no blanks: most numbers (an import normalises each of up to 100,000)
        return value.upper()
    return re.sub(r"\s+", "", value).upper()


def id_number_check_char(first17: str) -> str:
    """The 18th character of a 公民身份号码 for its first 17 digits (ISO 7064 MOD 11-2)."""
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return "10X98765432"[total % 11]


def region_code_ever_existed(code: str) -> bool:
    """True if ``code`` is a GB/T 2260 code that was in use at any time since 1981 (one indexed look-up).

    If the historical code table has not been loaded at all (a fresh database without ``load_reference``),
    every code is accepted rather than rejecting every ID number.
    """
    preloaded = _preloaded_codes.get()
    if preloaded is not None:
        return code in preloaded or not preloaded
    from .models import HistoricalRegionCode

    if HistoricalRegionCode.objects.filter(code=code).exists():
        return True
    return not HistoricalRegionCode.objects.exists()


_preloaded_codes: contextvars.ContextVar[frozenset | None] = contextvars.ContextVar("region_codes", default=None)


@contextlib.contextmanager
def preloaded_region_codes():
    """Within this block ID-number checks use one preloaded set of region codes instead of a query each
    (bulk imports validate thousands of ID numbers)."""
    from .models import HistoricalRegionCode

    token = _preloaded_codes.set(frozenset(HistoricalRegionCode.objects.values_list("code", flat=True)))
    try:
        yield
    finally:
        _preloaded_codes.reset(token)


def validate_id_number(value: str, *, today: datetime.date | None = None) -> None:
    """Validate an 18-character 公民身份号码 (GB 11643-1999).

    - 17 digits and a check character (digit or ``X``, lower case accepted), MOD 11-2 check;
    - a real birth date (characters 7–14) between 1900-01-01 and today;
    - a region part (characters 1–6) that is any GB/T 2260 code that ever existed (an ID keeps the code of the
      place and time it was first issued), or 810000/820000/830000 (港澳台居民居住证), or any code beginning
      with 9 (外国人永久居留身份证, 2023 format).
    """
    number = normalize_id_number(value)
    if len(number) != 18:
        raise ValidationError(_("An ID number has 18 characters."), code="length")
    if not _ID_RE.match(number):
        raise ValidationError(
            _("The first 17 characters of an ID number are digits and the last is a digit or X."), code="format"
        )
    if id_number_check_char(number[:17]) != number[17]:
        raise ValidationError(_("Check digit is wrong."), code="check_digit")
    try:
        birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        raise ValidationError(_("The birth date in the ID number is not a real date."), code="birth_date") from None
    if birth < ID_MIN_BIRTH_DATE or birth > (today or timezone.localdate()):
        raise ValidationError(
            _("The birth date in the ID number must lie between 1900-01-01 and today."), code="birth_date"
        )
    region = number[:6]
    if region[0] == "9" or region in RESIDENCE_PERMIT_REGION_CODES:
        return
    if not region_code_ever_existed(region):
        raise ValidationError(
            _("The region code %(code)s in the ID number has never existed."), code="region", params={"code": region}
        )


def parse_id_number(value: str, *, validate: bool = True) -> tuple[datetime.date, str]:
    """Return ``(birth_date, sex)`` of an 18-character ID number; ``sex`` is ``"M"`` or ``"F"`` (17th digit odd
    = male). Validates first unless ``validate=False``."""
    number = normalize_id_number(value)
    if validate:
        validate_id_number(number)
    birth = datetime.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    return birth, ("M" if int(number[16]) % 2 else "F")
