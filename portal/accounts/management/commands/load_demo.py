"""Load the demo region (永康市, 浙江省金华市): its joint-meeting member agencies, a few enterprises and one
account per role. Idempotent: a second run changes nothing and takes a moment."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from enterprises.models import Enterprise
from portal.accounts.models import Agency, Role, User
from portal.reference.models import Industry, Region
from portal.reference.validators import build_credit_code

DEMO_REGION = "330784"
DEMO_PASSWORD = "Yufang@2026demo"  # noqa: S105 - documented in README for the demo region only

# (name, kind, is_lead) — the member agencies seed 004 names for 永康's joint meeting.
AGENCIES = [
    ("永康市人力资源和社会保障局", "hrss", True),
    ("永康市应急管理局", "emergency", False),
    ("永康市卫生健康局", "health", False),
    ("永康市住房和城乡建设局", "housing", False),
    ("永康市交通运输局", "transport", False),
    ("永康市经济和信息化局", "industry", False),
    ("永康市财政局", "finance", False),
    ("永康市总工会", "union", False),
]

# (name, GB/T 4754 class, serial for the credit code, town index, scale, employees, legal representative)
ENTERPRISES = [
    ("永康市东城五金制品有限公司", "3389", 101, 0, "small", 86, "胡建平"),
    ("浙江永康电动工具制造有限公司", "3465", 102, 1, "medium", 420, "应志明"),
    ("永康市西城不锈钢制品厂", "3381", 103, 2, "small", 64, "程卫东"),
    ("永康市江南汽车配件有限公司", "3670", 104, 3, "medium", 310, "徐国华"),
    ("永康市芝英铸造有限公司", "3391", 105, 4, "small", 95, "李永康"),
    ("永康市古山建筑工程有限公司", "4790", 106, 5, "medium", 260, "吕海峰"),
    ("永康市石柱门业有限公司", "3312", 107, 6, "large", 1280, "施金龙"),
    ("永康市象珠家具有限公司", "2110", 108, 7, "small", 58, "朱晓燕"),
    ("永康市龙山运输有限公司", "5431", 109, 8, "micro", 18, "陈立新"),
    ("永康市方岩石材加工厂", "3032", 110, 9, "micro", 16, "金德胜"),
]
FIRST_INSURANCE_YEAR = 2024

# (username, role, agency index or None, enterprise index or None, full name, title)
ACCOUNTS = [
    ("renshe", Role.AGENCY_STAFF, 0, None, "王晓明", "工伤保险科科员"),
    ("renshe_admin", Role.AGENCY_ADMIN, 0, None, "陈建国", "办公室主任"),
    ("mishu", Role.SECRETARIAT, 0, None, "李红", "联席会议办公室秘书"),
    ("yingji", Role.AGENCY_STAFF, 1, None, "赵磊", "安全生产基础科科员"),
    ("weijian", Role.AGENCY_STAFF, 2, None, "孙丽", "职业健康科科员"),
    ("anquan", Role.SAFETY_OFFICER, None, 0, "周强", "安全生产负责人"),
    ("zhuanjia", Role.EXPERT, None, None, "吴敏", "职业卫生专家"),
    ("xitong", Role.SYSTEM_ADMIN, None, None, "郑伟", "系统管理员"),
    ("anquanguanli", Role.SECURITY_ADMIN, None, None, "冯静", "安全管理员"),
    ("shenji", Role.AUDITOR, None, None, "何平", "审计管理员"),
]


def demo_credit_code(region_code: str, serial: int) -> str:
    return build_credit_code(region_code, f"MA{serial:06d}")


class Command(BaseCommand):
    help = "Load the demo region 永康市 with member agencies, enterprises and one account per role (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        region = Region.objects.filter(code=DEMO_REGION).first()
        if region is None:
            raise CommandError("Region 330784 is missing: run `python manage.py load_reference` first.")
        towns = list(Region.objects.filter(parent=region, level="town").order_by("code"))
        if not towns:
            raise CommandError("The towns of 永康市 are missing: run `python manage.py load_reference` first.")
        agencies = [
            Agency.objects.get_or_create(
                region=region, name=name, defaults={"kind": kind, "level": "county", "is_lead": lead}
            )[0]
            for name, kind, lead in AGENCIES
        ]
        enterprises = []
        for name, industry_code, serial, town_index, scale, employees, legal in ENTERPRISES:
            industry = Industry.objects.get(code=industry_code)
            enterprise, _ = Enterprise.objects.get_or_create(
                credit_code=demo_credit_code(DEMO_REGION, serial),
                defaults={
                    "name": name,
                    "industry": industry,
                    "region": towns[town_index % len(towns)],
                    "owner_agency": agencies[0],
                    "scale": scale,
                    "employees": employees,
                    "legal_representative": legal,
                },
            )
            if enterprise.employees is None:  # created by an earlier version of this command
                enterprise.scale, enterprise.employees, enterprise.legal_representative = scale, employees, legal
                enterprise.save(update_fields=["scale", "employees", "legal_representative"])
            enterprises.append(enterprise)
        snapshots = self.insurance_snapshots(enterprises, agencies[0])
        cases = self.injury_cases(enterprises, agencies[0])
        created = 0
        for username, role, agency_index, enterprise_index, full_name, title in ACCOUNTS:
            if User.objects.filter(username=username).exists():
                continue
            user = User(
                username=username,
                role=role,
                agency=agencies[agency_index] if agency_index is not None else None,
                enterprise=enterprises[enterprise_index] if enterprise_index is not None else None,
                full_name=full_name,
                title=title,
                email=f"{username}@yongkang.example.gov.cn",
                password_changed_at=timezone.now(),
            )
            user.set_password(DEMO_PASSWORD)
            user.full_clean(exclude=["password"])
            user.save()
            created += 1
        self.stdout.write(
            f"demo region {region.name}: {len(agencies)} agencies, {len(enterprises)} enterprises, "
            f"{snapshots} new insurance quarters, {cases} new work-injury cases, "
            f"{created} new accounts (password {DEMO_PASSWORD})"
        )

    @staticmethod
    def insurance_snapshots(enterprises, agency) -> int:
        """Quarterly insurance figures from 2024 to the last complete quarter: most employees insured, premium
        by payroll and the industry's national base rate, a payout in some quarters (deterministic per row)."""
        import random
        from decimal import Decimal

        from enterprises.models import InsuranceSnapshot
        from portal.reference.models import base_rate_for

        today = timezone.localdate()
        last = (today.year, (today.month - 1) // 3)  # the current quarter is not complete
        quarters = [(y, q) for y in range(FIRST_INSURANCE_YEAR, today.year + 1) for q in range(1, 5) if (y, q) <= last]
        existing = set(
            InsuranceSnapshot.objects.filter(enterprise__in=enterprises).values_list("enterprise_id", "year", "quarter")
        )
        rows = []
        for enterprise in enterprises:
            rate = base_rate_for(enterprise.industry, enterprise.region, today.year) or Decimal("1.0")
            for year, quarter in quarters:
                if (enterprise.pk, year, quarter) in existing:
                    continue
                rng = random.Random(f"{enterprise.credit_code}-{year}-{quarter}")  # noqa: S311 - demo data
                insured = round(enterprise.employees * rng.uniform(0.82, 1.0))
                payroll = Decimal(insured * 3 * rng.randint(5200, 7800))  # three months of wages
                premium = (payroll * rate / 100).quantize(Decimal("0.01"))
                payout = (premium * Decimal(rng.choice([0, 0, 0.3, 0.6, 1.4]))).quantize(Decimal("0.01"))
                rows.append(
                    InsuranceSnapshot(
                        enterprise=enterprise,
                        year=year,
                        quarter=quarter,
                        insured_employees=insured,
                        premium_paid=premium,
                        fund_payout=payout,
                        owner_agency=agency,
                    )
                )
        InsuranceSnapshot.objects.bulk_create(rows)
        return len(rows)

    @staticmethod
    def injury_cases(enterprises, agency) -> int:
        """About two years of work-injury cases, once: roughly 2 per 100 employees a year; mostly machinery and
        struck-by injuries, as in manufacturing statistics; 80 % minor, 18 % serious, 2 % fatal."""
        import datetime
        import random
        from decimal import Decimal

        from incidents.models import InjuryCase
        from portal.reference.models import AccidentType, gb6441_edition_for
        from portal.reference.validators import id_number_check_char

        if InjuryCase.objects.filter(enterprise__in=enterprises).exists():
            return 0
        types_1986 = {t.code: t for t in AccidentType.objects.filter(edition=1986, kind="type")}
        weights = {"03": 45, "01": 20, "09": 10, "04": 8, "02": 7, "07": 5, "20": 5}
        posts = ["冲压工", "车工", "焊工", "装配工", "搬运工", "铸造工", "打磨工", "叉车司机", "切割工"]
        surnames, given = "王李张刘陈杨黄赵吴周徐孙胡朱", "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚"
        now = timezone.now()
        created = 0
        for enterprise in enterprises:
            rng = random.Random(f"cases-{enterprise.credit_code}")  # noqa: S311 - demo data
            for _ in range(max(1, round(enterprise.employees * 0.02 * 2 * rng.uniform(0.6, 1.4)))):
                occurred = now - datetime.timedelta(days=rng.uniform(3, 730), hours=rng.uniform(0, 10))
                old = types_1986[rng.choices(list(weights), weights=list(weights.values()))[0]]
                edition = gb6441_edition_for(timezone.localtime(occurred).date())
                kind = old if edition == 1986 else (old.default_successor() or old)
                severity = rng.choices(["minor", "serious", "fatal"], weights=[80, 18, 2])[0]
                birth = datetime.date(1965, 1, 1) + datetime.timedelta(days=rng.randint(0, 365 * 38))
                first17 = f"330784{birth:%Y%m%d}{rng.randint(0, 999):03d}"
                days_ago = (now - occurred).days
                InjuryCase.objects.create(
                    enterprise=enterprise,
                    occurred_at=occurred,
                    place=rng.choice(["生产车间", "仓库", "厂区道路", "装配线"]),
                    accident_type=kind,
                    cause=rng.choice(["违章操作", "防护装置缺失", "未佩戴劳动防护用品", "设备故障", "安全培训不足"]),
                    post=rng.choice(posts),
                    worker_name=rng.choice(surnames) + "".join(rng.sample(given, rng.choice([1, 2]))),
                    worker_id_number=first17 + id_number_check_char(first17),
                    severity=severity,
                    lost_workdays={"minor": rng.randint(3, 60), "serious": rng.randint(60, 240), "fatal": 0}[severity],
                    recognized_on=(timezone.localtime(occurred) + datetime.timedelta(days=rng.randint(20, 60))).date()
                    if days_ago > 60
                    else None,
                    disability_grade=rng.randint(5, 10) if severity == "serious" and rng.random() < 0.5 else None,
                    fund_payout=Decimal(rng.randint(2, 40) * 1000) if days_ago > 60 else Decimal(0),
                    owner_agency=agency,
                )
                created += 1
        return created
