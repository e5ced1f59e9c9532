"""Load the demo region (永康市, 浙江省金华市): its joint-meeting member agencies, a few enterprises and one
account per role. Idempotent: a second run changes nothing and takes a moment."""

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from enterprises.models import Enterprise, sync_tiers
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
    ("zhujian", Role.AGENCY_STAFF, 3, None, "钱涛", "建筑市场监管科科员"),
    ("jiaotong", Role.AGENCY_STAFF, 4, None, "褚明", "建设管理科科员"),
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

    def add_arguments(self, parser):
        parser.add_argument(
            "--enterprises", type=int, default=300, help="generated enterprises besides the named ones (default 300)"
        )

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
        enterprises += [
            e
            for e in self.generated_enterprises(region, towns, agencies[0], options["enterprises"])
            if e.pk not in {x.pk for x in enterprises}
        ]
        snapshots = self.insurance_snapshots(enterprises, agencies[0])
        cases = self.injury_cases(enterprises, agencies[0])
        self.yongkang_target(region, agencies[0])
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

    def yongkang_target(self, region, agency) -> None:
        """The county's own target (seed 004), besides the national default."""
        from decimal import Decimal

        from incidents.analysis.models import Target

        Target.objects.get_or_create(
            region=region,
            metric="key_incidence",
            target_year=2022,
            defaults={
                "owner_agency": agency,
                "baseline_year": 2019,
                "reduction_percent": Decimal("60"),
                "source": "永康市工伤预防工作方案（种子004）：到2022年底重点行业工伤事故发生率较2019年下降60%",
            },
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
        """Three years of work-injury cases for each enterprise that has none yet: about 2 per 100 employees a
        year; accident types by industry (machinery and struck-by in metalworking, falls in construction,
        vehicles in transport, as in the national statistics); 80 % minor, 18 % serious, 2 % fatal."""
        import datetime
        import random
        from decimal import Decimal

        from incidents.models import InjuryCase
        from portal.reference.models import AccidentType, gb6441_edition_for
        from portal.reference.validators import id_number_check_char

        with_cases = set(
            InjuryCase.objects.filter(enterprise__in=enterprises).values_list("enterprise_id", flat=True).distinct()
        )
        todo = [e for e in enterprises if e.pk not in with_cases]
        if not todo:
            return 0
        old_types = {t.code: t for t in AccidentType.objects.filter(edition=1986, kind="type")}
        successors = {code: (t.default_successor() or t) for code, t in old_types.items()}
        surnames, given = "王李张刘陈杨黄赵吴周徐孙胡朱应胡程吕施金", "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚建国志华"
        now = timezone.now()
        rows = []
        for enterprise in todo:
            profile = _profile(enterprise.industry.code)
            rng = random.Random(f"cases-{enterprise.credit_code}")  # noqa: S311 - demo data
            for _ in range(max(1, round((enterprise.employees or 20) * 0.02 * 3 * rng.uniform(0.5, 1.5)))):
                occurred = now - datetime.timedelta(days=rng.uniform(3, 1095), hours=rng.uniform(0, 10))
                code = rng.choices(list(profile["types"]), weights=list(profile["types"].values()))[0]
                edition = gb6441_edition_for(timezone.localtime(occurred).date())
                severity = rng.choices(["minor", "serious", "fatal"], weights=[80, 18, 2])[0]
                birth = datetime.date(1965, 1, 1) + datetime.timedelta(days=rng.randint(0, 365 * 38))
                first17 = f"330784{birth:%Y%m%d}{rng.randint(0, 999):03d}"
                days_ago = (now - occurred).days
                case = InjuryCase(
                    enterprise=enterprise,
                    occurred_at=occurred,
                    place=rng.choice(profile["places"]),
                    accident_type=old_types[code] if edition == 1986 else successors[code],
                    cause=rng.choice(["违章操作", "防护装置缺失", "未佩戴劳动防护用品", "设备故障", "安全培训不足"]),
                    post=rng.choice(profile["posts"]),
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
                case.derive_personal_fields()
                rows.append(case)
        InjuryCase.objects.bulk_create(rows, batch_size=1000)
        sync_tiers({c.enterprise_id for c in rows}, missing_only=True)  # bulk_create skips save()
        return len(rows)

    @staticmethod
    def generated_enterprises(region, towns, agency, count: int) -> list:
        """``count`` more enterprises spread over the towns, with an industry mix like Yongkang's (五金之都:
        mostly metal products and machinery), deterministic so a second run finds them again."""
        import random

        from portal.reference.models import Industry

        classes = {}
        for prefix, _weight in INDUSTRY_MIX:
            classes[prefix] = list(Industry.objects.filter(level="class", code__startswith=prefix).order_by("code"))
        generated = Enterprise.objects.filter(credit_code__startswith="91" + DEMO_REGION + "MA1")
        existing = set(generated.values_list("credit_code", flat=True))
        names = set(generated.values_list("name", flat=True))
        scales = [("micro", 5, 19), ("small", 20, 299), ("medium", 300, 999), ("large", 1000, 3000)]
        rows = []
        for i in range(count):
            code = demo_credit_code(DEMO_REGION, 100_000 + i)
            if code in existing:
                continue
            rng = random.Random(f"enterprise-{i}")  # noqa: S311 - demo data
            prefix = rng.choices([p for p, _w in INDUSTRY_MIX], weights=[w for _p, w in INDUSTRY_MIX])[0]
            industry = rng.choice(classes[prefix])
            scale, low, high = rng.choices(scales, weights=[30, 55, 12, 3])[0]
            town = towns[min(int(rng.paretovariate(1.2)) - 1, len(towns) - 1)]  # a few towns carry most firms
            word = NAME_WORDS[i % len(NAME_WORDS)] + NAME_WORDS_2[(i // len(NAME_WORDS)) % len(NAME_WORDS_2)]
            name = f"永康市{word}{_trade(industry)}有限公司"
            if name in names:
                name = f"浙江{town.name[:2]}{word}{_trade(industry)}有限公司"
            names.add(name)
            rows.append(
                Enterprise(
                    credit_code=code,
                    name=name,
                    region=town,
                    industry=industry,
                    owner_agency=agency,
                    scale=scale,
                    employees=rng.randint(low, high),
                )
            )
        Enterprise.objects.bulk_create(rows, batch_size=500)
        return list(
            Enterprise.objects.filter(credit_code__startswith="91" + DEMO_REGION + "MA1").select_related(
                "industry", "region"
            )
        )


# Division prefixes and weights of the generated enterprises (GB/T 4754-2017).
INDUSTRY_MIX = [
    ("33", 38),
    ("34", 14),
    ("38", 8),
    ("36", 8),
    ("21", 4),
    ("30", 4),
    ("47", 5),
    ("48", 3),
    ("54", 5),
    ("51", 6),
    ("52", 5),
]
NAME_WORDS = ["恒", "华", "金", "永", "宏", "鑫", "精", "顺", "联", "博", "天", "富"]
NAME_WORDS_2 = ["达", "盛", "兴", "源", "工", "发", "创", "远", "成", "力", "康", "泰"]

_PROFILES = {
    "construction": {
        "types": {"09": 35, "01": 20, "10": 10, "03": 10, "04": 10, "05": 5, "20": 10},
        "posts": ["架子工", "钢筋工", "泥瓦工", "塔吊司机", "电工"],
        "places": ["施工现场", "脚手架", "基坑"],
    },
    "transport": {
        "types": {"02": 70, "01": 10, "09": 5, "20": 15},
        "posts": ["货车司机", "装卸工", "押运员"],
        "places": ["道路", "停车场", "装卸区"],
    },
    "trade": {
        "types": {"01": 25, "09": 20, "02": 15, "03": 10, "20": 30},
        "posts": ["理货员", "仓管员", "搬运工"],
        "places": ["仓库", "卖场", "装卸区"],
    },
    "manufacturing": {
        "types": {"03": 45, "01": 20, "09": 8, "04": 8, "02": 5, "07": 6, "20": 8},
        "posts": ["冲压工", "车工", "焊工", "装配工", "铸造工", "打磨工", "叉车司机", "切割工"],
        "places": ["生产车间", "仓库", "厂区道路", "装配线"],
    },
}


def _trade(industry) -> str:
    """A short business word for a company name from the industry class name: 金属结构制造 → 金属结构制造."""
    name = industry.name
    for word in ("其他", "未列明", "生产专用", "家用", "制造", "加工", "服务", "业"):
        name = name.replace(word, "")
    name = name.split("、")[0].split("及")[0].split("和")[0][:4]
    division = int(industry.code[:2])
    if 47 <= division <= 50:
        return name + "建设"
    if 53 <= division <= 59:
        return name[:2] + "运输"
    if division in (51, 52):
        return name[:2] + "贸易"
    return name + "制造"


def _profile(industry_code: str) -> dict:
    division = industry_code[:2]
    if division in ("47", "48", "49", "50"):
        return _PROFILES["construction"]
    if division in ("53", "54", "55", "56", "57", "58", "59"):
        return _PROFILES["transport"]
    if division in ("51", "52", "61", "62"):
        return _PROFILES["trade"]
    return _PROFILES["manufacturing"]
