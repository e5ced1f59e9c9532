"""The quarterly exchange of the demo region, run through its services as the agencies would: the default
obligations, construction projects of 住建 and 交通运输, the last two quarters confirmed (卫健 late with the last
one), a reopened and reconfirmed quarter, and the consolidated reports."""

from __future__ import annotations

import datetime
from decimal import Decimal

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from enterprises.models import ConstructionProject, Enterprise
from portal.accounts.models import User
from portal.reference.models import Region

DEMO_REGION = "330784"
SECRETARIAT, HRSS, EMERGENCY, HEALTH = "mishu", "renshe", "yingji", "weijian"
HOUSING, TRANSPORT = "zhujian", "jiaotong"

# (name, sector, contract value 万元, workers, months before the quarter's end it started, insured)
PROJECTS = [
    ("永康市城西新区安置房一期工程", "housing", "18600.00", 420, 1, True),
    ("永康市第三人民医院门诊楼改造工程", "housing", "5200.00", 160, 2, True),
    ("永康市五金城物流中心仓储用房", "housing", "3900.00", 110, 2, False),
    ("S217省道永康段改建工程", "transport", "46800.00", 380, 1, True),
    ("永康市东城街道农村公路提升工程", "transport", "2100.00", 60, 3, False),
]


class Command(BaseCommand):
    help = "Run the quarterly data exchange on the demo region (after load_demo and load_demo_loop). Idempotent."

    def handle(self, *args, **options):
        from portal.exchange import services
        from portal.exchange.models import Confirmation, Obligation, previous_quarter
        from portal.exchange.selectors import last_quarter

        region = Region.objects.filter(code=DEMO_REGION).first()
        users = {
            u.username: u for u in User.objects.filter(username__in=[SECRETARIAT, HRSS, EMERGENCY, HOUSING, TRANSPORT])
        }
        if region is None or SECRETARIAT not in users:
            raise CommandError("Run `python manage.py load_demo` first.")
        with transaction.atomic():
            if not Obligation.objects.filter(agency__region=region).exists():
                services.apply_default_obligations(actor=users[SECRETARIAT], region=region)
        today = timezone.localdate()
        last = last_quarter(today)
        before = previous_quarter(*last)
        self._projects(region, users, [before, last])
        for year, quarter in (before, last):
            for username in (
                (HRSS, EMERGENCY, HOUSING, TRANSPORT)
                if (year, quarter) == last
                else (HRSS, EMERGENCY, HOUSING, TRANSPORT, "weijian")
            ):
                user = users.get(username) or User.objects.filter(username=username).first()
                if user is None:
                    continue
                done = Confirmation.objects.filter(agency=user.agency, year=year, quarter=quarter).exists()
                if not done:
                    services.confirm_quarter(actor=user, year=year, quarter=quarter)
        # The quarter before last: reported after its deadline, then reopened for 人社's correction and confirmed
        # again, which made its report's second version (the first stays downloadable).
        self._report(services, region, before, "schedule")
        year, quarter = before
        hrss = Confirmation.objects.filter(agency=users[HRSS].agency, year=year, quarter=quarter).first()
        if hrss is not None and hrss.times_confirmed == 1 and hrss.reopened_at is None:
            services.reopen_quarter(actor=users[SECRETARIAT], confirmation=hrss, reason="补录两起跨季度认定的工伤案件")
            services.confirm_quarter(actor=users[HRSS], year=year, quarter=quarter)
            self._report(services, region, before, "reconfirmed")
        self._report(services, region, last, "on_demand", actor=users[SECRETARIAT])

    def _report(self, services, region, period, trigger, actor=None) -> None:
        year, quarter = period
        report, created = services.build_report(region=region, year=year, quarter=quarter, trigger=trigger, actor=actor)
        self.stdout.write(f"{year}Q{quarter}: report version {report.version}{'' if created else ' (unchanged)'}")

    def _projects(self, region, users, quarters) -> None:
        """Projects of 住建 and 交通运输, recorded through their service as the clerks would."""
        from enterprises.services import record_construction_project

        towns = list(Region.objects.filter(parent=region).order_by("code")[:5]) or [region]
        enterprises = Enterprise.objects.filter(region__path__startswith=region.path)
        contractor = enterprises.filter(industry__code__startswith="47").first() or enterprises.first()
        if contractor is None:
            return
        for q_index, (year, quarter) in enumerate(quarters):
            end = datetime.date(year, quarter * 3, 1)
            for n, (name, sector, value, workers, months, insured) in enumerate(PROJECTS):
                permit = f"330784{year}{quarter}{n:02d}"
                actor = users.get(HOUSING if sector == "housing" else TRANSPORT)
                if actor is None or ConstructionProject.objects.filter(permit_number=permit).exists():
                    continue
                started = end.replace(month=end.month - months + 1, day=8)
                record_construction_project(
                    actor=actor,
                    data={
                        "enterprise": contractor,
                        "name": name if q_index else name.replace("工程", "前期工程"),
                        "permit_number": permit,
                        "sector": sector,
                        "region": towns[n % len(towns)],
                        "contract_value": Decimal(value),
                        "workers": workers,
                        "started_on": started,
                        "insured_on": started - datetime.timedelta(days=5) if insured else None,
                        "insured_workers": workers if insured else None,
                        "premium": Decimal(value) * 12 if insured else Decimal(0),  # 1.2 ‰ of the contract value
                    },
                )
