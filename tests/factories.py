"""factory_boy factories shared by every test module."""

import factory
from django.utils import timezone

from enterprises.models import Enterprise
from portal.accounts.models import Agency, Role, User
from portal.reference.models import Industry, Region

TEST_PASSWORD = "Gongshang-Yufang-2026"


def credit_code(seed: int) -> str:
    """A valid 统一社会信用代码 (GB 32100) built from a number, for unique test enterprises."""
    chars = "0123456789ABCDEFGHJKLMNPQRTUWXY"
    org_weights = [3, 7, 9, 10, 5, 8, 4, 2]
    body = f"{seed:08d}"[-8:]
    s = sum(int(c) * w for c, w in zip(body, org_weights, strict=True))
    c9 = 11 - s % 11
    org = body + ("0" if c9 == 11 else "X" if c9 == 10 else str(c9))
    code17 = "91330784" + org[:8] + org[8]
    code17 = code17[:17]
    weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    total = sum(chars.index(c) * w for c, w in zip(code17, weights, strict=True))
    return code17 + chars[(31 - total % 31) % 31]


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"9{n:05d}")
    name = factory.Sequence(lambda n: f"测试区{n}")
    level = "county"


class IndustryFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Industry
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"{3300 + n}")
    name = factory.Sequence(lambda n: f"测试行业{n}")
    level = "class"


class AgencyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Agency

    name = factory.Sequence(lambda n: f"测试人力资源和社会保障局{n}")
    kind = "hrss"
    level = "county"
    region = factory.SubFactory(RegionFactory)
    is_lead = True


class EnterpriseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enterprise

    credit_code = factory.Sequence(lambda n: credit_code(10_000 + n))
    name = factory.Sequence(lambda n: f"测试五金制品有限公司{n}")
    region = factory.SubFactory(RegionFactory)
    industry = factory.SubFactory(IndustryFactory)
    owner_agency = factory.SubFactory(AgencyFactory)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    full_name = factory.Sequence(lambda n: f"测试用户{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.gov.cn")
    role = Role.AGENCY_STAFF
    agency = factory.SubFactory(AgencyFactory)
    password_changed_at = factory.LazyFunction(timezone.now)

    @factory.post_generation
    def password(self, create, extracted, **kwargs):
        self.set_password(extracted or TEST_PASSWORD)
        if create:
            self.save(update_fields=["password"])
