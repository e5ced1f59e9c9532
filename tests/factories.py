"""factory_boy factories shared by every test module."""

import datetime

import factory
from django.utils import timezone

from enterprises.models import Enterprise
from portal.accounts.models import Agency, Role, User
from portal.reference.models import Industry, Region
from portal.reference.validators import build_credit_code

TEST_PASSWORD = "Gongshang-Yufang-2026"


def credit_code(seed: int) -> str:
    """A valid 统一社会信用代码 (GB 32100) built from a number, for unique test enterprises."""
    return build_credit_code("330784", f"{seed:08d}"[-8:])


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


class SilicosisFactory(factory.django.DjangoModelFactory):
    """矽肺 of the 2013 catalogue (a pneumoconiosis), valid until the 2025 catalogue."""

    class Meta:
        model = "reference.OccupationalDisease"
        django_get_or_create = ("code",)

    code = "2013-01-1-01"
    catalogue_version = 2013
    class_no = 1
    class_name = "类"
    subclass_no = 1
    item_no = 1
    name = "矽肺"
    valid_from = datetime.date(2013, 12, 23)
    valid_to = datetime.date(2025, 7, 31)
