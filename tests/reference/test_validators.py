"""统一社会信用代码 and 身份证号 validators. The check digits are recomputed here with an independent
implementation of the standards, which is first checked against published real codes."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation

from portal.reference.models import HistoricalRegionCode
from portal.reference.validators import (
    normalize_id_number,
    parse_id_number,
    validate_credit_code,
    validate_id_number,
)

pytestmark = pytest.mark.django_db

CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"

# Published codes of well-known companies (business licences / annual reports).
REAL_CREDIT_CODES = [
    "914403001922038216",  # 华为技术有限公司
    "91440300708461136T",  # 深圳市腾讯计算机系统有限公司
    "91330100799655058B",  # 阿里巴巴（中国）有限公司
    "91110108551385082Q",  # 小米科技有限责任公司
    "91110000710925462X",  # 中国石油天然气股份有限公司
]


def gb32100(first17: str) -> str:
    """Independent GB 32100 check character: weights 3^i mod 31."""
    total = sum(CHARS.index(c) * pow(3, i, 31) for i, c in enumerate(first17))
    return CHARS[-total % 31]


def gb11714(body8: str) -> str:
    weights = [3, 7, 9, 10, 5, 8, 4, 2]
    c = 11 - sum(int(ch, 36) * w for ch, w in zip(body8, weights, strict=True)) % 11
    return "X" if c == 10 else "0" if c == 11 else str(c)


def make_credit_code(prefix8: str, org8: str) -> str:
    first17 = prefix8 + org8 + gb11714(org8)
    return first17 + gb32100(first17)


def gb11643(first17: str) -> str:
    """Independent MOD 11-2: weights 2^(17-i) mod 11."""
    total = sum(int(c) * pow(2, 17 - i, 11) for i, c in enumerate(first17))
    return "10X98765432"[total % 11]


def make_id(region: str, birth: str, seq: str = "123") -> str:
    first17 = region + birth + seq
    return first17 + gb11643(first17)


@pytest.fixture
def region_codes(db):
    for code, name, status, start, end in [
        ("330784", "永康市", "in_use", 1992, None),
        ("330722", "永康县", "abolished", 1985, 1992),
        ("110105", "朝阳区", "in_use", 1981, None),
        ("110103", "崇文区", "abolished", 1981, 2010),
    ]:
        HistoricalRegionCode.objects.get_or_create(
            code=code,
            valid_from=start,
            defaults={"name": name, "status": status, "valid_to": end, "level": "county"},
        )


# --- 统一社会信用代码 ------------------------------------------------------------------------------------


@pytest.mark.parametrize("code", REAL_CREDIT_CODES)
def test_real_credit_codes_are_valid(code):
    assert gb32100(code[:17]) == code[17]  # the independent implementation agrees with reality
    assert gb11714(code[8:16]) == code[16]
    validate_credit_code(code)


def test_constructed_codes_with_letter_registration_authority():
    for prefix in ("N2330784", "Y1330784", "93330784", "52330784"):
        code = make_credit_code(prefix, "MA28D1XK")
        validate_credit_code(code)
    validate_credit_code(make_credit_code("91330784", "14294209"))


def test_org_code_check_digit_may_be_x():
    body = next(f"{n:08d}" for n in range(10_000_000, 10_000_200) if gb11714(f"{n:08d}") == "X")
    validate_credit_code(make_credit_code("91330784", body))


def test_credit_code_normalised_case_and_blanks():
    validate_credit_code(" 91440300708461136t ")


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("91440300708461136", "length"),
        ("9144030070846113600", "length"),
        ("", "length"),
        ("91440300708461136I", "charset"),
        ("9144030070846113OT", "charset"),
        ("91440300708461136A", "check_digit"),
        ("911100001000013934", "check_digit"),  # an example often quoted; its last character should be L
    ],
)
def test_invalid_credit_codes(value, code):
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(value)
    assert exc.value.code == code


def test_wrong_embedded_org_code_is_reported_separately():
    first17 = "91330784" + "MA28D1XK" + ("1" if gb11714("MA28D1XK") != "1" else "2")
    with pytest.raises(ValidationError) as exc:
        validate_credit_code(first17 + gb32100(first17))
    assert exc.value.code == "org_code_check_digit"


def test_credit_code_message_is_chinese():
    with translation.override("zh-hans"), pytest.raises(ValidationError) as exc:
        validate_credit_code("91440300708461136A")
    assert exc.value.messages == ["校验位错误。"]


# --- 身份证号 -------------------------------------------------------------------------------------------


def test_standard_example_id(region_codes):
    HistoricalRegionCode.objects.get_or_create(
        code="110105", valid_from=1981, defaults={"name": "朝阳区", "status": "in_use", "level": "county"}
    )
    validate_id_number("11010519491231002X")  # the example in GB 11643-1999
    validate_id_number("11010519491231002x")
    assert normalize_id_number(" 11010519491231002x") == "11010519491231002X"
    assert parse_id_number("11010519491231002x") == (datetime.date(1949, 12, 31), "F")
    assert parse_id_number(make_id("330784", "19900101", "011"))[1] == "M"


def test_historic_region_code_is_accepted(region_codes):
    validate_id_number(make_id("330722", "19880512"))  # 永康县, a code of 1985–1992
    validate_id_number(make_id("110103", "19700101"))  # 崇文区, merged in 2010


@pytest.mark.parametrize("region", ["810000", "820000", "830000", "911156", "937840"])
def test_residence_permit_and_foreigner_prefixes(region_codes, region):
    validate_id_number(make_id(region, "19850220"))


def _error(value):
    with pytest.raises(ValidationError) as exc:
        validate_id_number(value)
    return exc.value


def test_unknown_region_code(region_codes):
    err = _error(make_id("123456", "19900101"))
    assert err.code == "region"
    with translation.override("zh-hans"):
        assert err.messages == ["身份证号码中的地区码123456不存在。"]
    assert _error(make_id("810100", "19900101")).code == "region"  # only 810000 is a permit code


def test_wrong_check_digit(region_codes):
    good = make_id("330784", "19900101")
    bad = good[:17] + ("0" if good[17] != "0" else "1")
    assert _error(bad).code == "check_digit"
    with translation.override("zh-hans"):
        assert _error(bad).messages == ["校验位错误。"]


def test_bad_birth_dates(region_codes):
    assert _error(make_id("330784", "19900230")).code == "birth_date"  # 30 February
    assert _error(make_id("330784", "18991231")).code == "birth_date"
    assert _error("440524188001010014").code == "birth_date"  # GB 11643 example, born 1880
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    assert _error(make_id("330784", tomorrow.strftime("%Y%m%d"))).code == "birth_date"
    validate_id_number(make_id("330784", timezone.localdate().strftime("%Y%m%d")))


@pytest.mark.parametrize(
    ("value", "code"),
    [("33078419900101123", "length"), ("3307841990010112345", "length"), ("33078419900101123A", "format")],
)
def test_id_format(value, code):
    assert _error(value).code == code


def test_region_check_is_skipped_when_table_is_empty():
    HistoricalRegionCode.objects.all().delete()
    validate_id_number(make_id("123456", "19900101"))


def test_build_credit_code_makes_valid_codes():
    from portal.reference.validators import build_credit_code, validate_credit_code

    for body in ["MA000101", "12345678", "00000001", "MA28ABCD"]:
        validate_credit_code(build_credit_code("330784", body))
