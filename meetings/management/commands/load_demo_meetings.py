"""Load the demo region's joint meeting (after ``load_demo``): 永康市's committee with members in the shape of seed
002's lists (召集人, 副召集人, 成员, 联络员; invented names, real titles), one membership change in the history, seed
000's eleven key tasks adopted as the template, and a few progress reports. Idempotent: a second run changes
nothing. Everything is written through the services (audited), as the secretariat ``mishu`` and the agencies'
staff."""

from __future__ import annotations

import datetime

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from meetings.models import Committee, KeyTask, Member, TaskProgress
from meetings.services import committee as committee_services
from meetings.services import keytasks as task_services
from portal.accounts.models import Agency, User
from portal.permissions import AGENCY_ROLE_NAMES
from portal.reference.models import Region

DEMO_REGION = "330784"
NAME = "永康市工伤预防工作联席会议"
BASIS = "永政办发〔2020〕58号"
ESTABLISHED = datetime.date(2020, 6, 1)

# (agency kind, role, name, title, phone) — invented people, titles as in seed 002's lists.
MEMBERS = [
    ("hrss", Member.Role.CONVENER, "林志远", "副市长", ""),
    ("hrss", Member.Role.DEPUTY, "陈建华", "市人社局党组书记、局长", "0579-87120001"),
    ("hrss", Member.Role.MEMBER, "胡晓峰", "市人社局工伤保险科科长", "0579-87120015"),
    ("emergency", Member.Role.MEMBER, "周立群", "市应急管理局副局长", "0579-87130002"),
    ("health", Member.Role.MEMBER, "吴晓燕", "市卫生健康局副局长", "0579-87140003"),
    ("housing", Member.Role.MEMBER, "钱国平", "市住房和城乡建设局副局长", "0579-87150004"),
    ("transport", Member.Role.MEMBER, "应卫东", "市交通运输局副局长", "0579-87160005"),
    ("industry", Member.Role.MEMBER, "徐丽萍", "市经济和信息化局副局长", "0579-87170006"),
    ("finance", Member.Role.MEMBER, "程明", "市财政局社会保障科科长", "0579-87180007"),
    ("union", Member.Role.MEMBER, "朱红梅", "市总工会劳动和经济工作部部长", "0579-87190008"),
    ("hrss", Member.Role.LIAISON, "王晓明", "市人社局工伤保险科科员", "0579-87120016"),
]
JOINED = datetime.date(2020, 6, 1)
# The membership change: 应急's member is replaced.
REPLACED = ("周立群", datetime.date(2025, 3, 1), "金伟强", "市应急管理局副局长", "0579-87130009")


class Command(BaseCommand):
    help = "Load 永康市's joint meeting: members, a membership change, the key task list and progress (idempotent)."

    @transaction.atomic
    def handle(self, *args, **options):
        region = Region.objects.filter(code=DEMO_REGION).first()
        lead = Agency.objects.filter(region=region, is_lead=True, is_active=True).order_by("pk").first()
        secretariat = (
            User.objects.filter(role="secretariat", agency=lead, is_active=True).order_by("username").first()
            if lead
            else None
        )
        if region is None or lead is None or secretariat is None:
            raise CommandError("The demo region is missing: run `python manage.py load_demo` first.")
        committee = Committee.objects.filter(region=region).first()
        if committee is None:
            committee = committee_services.create_committee(
                actor=secretariat, name=NAME, established_on=ESTABLISHED, basis=BASIS
            )
        members = self.members(committee, secretariat)
        adoption = task_services.adopt_template(actor=secretariat, committee=committee)
        reports = self.progress(committee)
        skipped = "、".join(adoption.missing_departments)
        self.stdout.write(
            f"{committee.name}: {members} new members, {len(adoption.created)} tasks adopted"
            + (f" (no agency for {skipped})" if skipped else "")
            + f", {reports} new progress reports"
        )

    def members(self, committee: Committee, secretariat) -> int:
        if committee.members.exists():
            return 0
        created = 0
        for kind, role, name, title, phone in MEMBERS:
            agency = self.agency(committee, kind)
            if agency is None:
                continue
            committee_services.add_member(
                actor=secretariat,
                committee=committee,
                agency=agency,
                role=role,
                name=name,
                title=title,
                phone=phone,
                joined_on=JOINED,
            )
            created += 1
        old_name, on, name, title, phone = REPLACED
        old = committee.members.filter(name=old_name, left_on__isnull=True).first()
        if old is not None:
            committee_services.replace_member(
                actor=secretariat, member=old, on=on, name=name, title=title, phone=phone, note="工作调整"
            )
            created += 1
        return created

    @staticmethod
    def agency(committee: Committee, kind: str) -> Agency | None:
        return (
            Agency.objects.filter(region=committee.region, kind=kind, is_active=True)
            .order_by("-is_lead", "name")
            .first()
        )

    @staticmethod
    def reporter(agency: Agency) -> User | None:
        users = User.objects.filter(agency=agency, role__in=sorted(AGENCY_ROLE_NAMES), is_active=True)
        return users.exclude(role="secretariat").order_by("username").first() or users.order_by("username").first()

    def progress(self, committee: Committee) -> int:
        """Task 1 (quarterly): 人社 and 应急 reported the last ended quarter, 卫健 not (late); task 2 (ongoing): 人社's
        report of the year; task 5 (by the end of 2022): done."""
        today = task_services._today()
        last = task_services.last_ended_quarter(today)
        plan = [
            (1, "hrss", *last, "on_track", "本季度召开联席会议1次，汇总交换重点行业企业、工伤事故和职业病信息。"),
            (1, "emergency", *last, "on_track", "按季度报送生产安全事故信息及重点企业名单。"),
            (2, "hrss", today.year, 0, "on_track", "按规定完成工伤保险浮动费率年度测算，已提请市财政局审核。"),
            (5, "hrss", 2022, 4, "done", "建设领域工伤保险扩面专项行动已完成，新开工项目按项目参保全覆盖。"),
        ]
        created = 0
        for template_number, kind, year, quarter, status, text in plan:
            task = KeyTask.objects.filter(committee=committee, template_number=template_number).first()
            agency = self.agency(committee, kind)
            if task is None or agency is None:
                continue
            if TaskProgress.objects.filter(task=task, agency=agency, year=year, quarter=quarter).exists():
                continue
            reporter = self.reporter(agency)
            if reporter is None or not task_services.may_report(reporter, task):
                continue
            task_services.report_progress(
                actor=reporter, task=task, year=year, quarter=quarter, status=status, text=text
            )
            created += 1
        return created
