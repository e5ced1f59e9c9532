"""The warning and rectification loop of the demo region, run through its services as the agencies would."""

from __future__ import annotations

import datetime

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from portal.accounts.models import User
from portal.reference.models import CalendarNotSeeded, Region, add_months_deadline

DEMO_REGION = "330784"
STAFF, OFFICER = "renshe", "anquan"

LESSONS = {
    "机械伤害": "设备防护装置必须齐全有效，检修时执行停机挂牌上锁，冲压岗位推行双手按钮和光电保护。",
    "物体打击": "作业区域设置警戒，高处物料固定可靠，进入作业现场必须佩戴安全帽。",
    "高处坠落": "高处作业必须系挂安全带，临边洞口设置防护栏杆和盖板，脚手架验收合格后方可使用。",
    "起重伤害": "起重作业持证上岗，吊具每班检查，吊物下方严禁站人。",
    "车辆伤害": "厂内机动车限速行驶，人车分流，驾驶员持证上岗。",
    "触电": "电气设备可靠接地，临时用电规范架设，非电工不得拆装电气线路。",
}
DEFAULT_LESSON = "严格执行安全操作规程，加强岗前培训和现场监督，落实隐患排查治理。"


class Command(BaseCommand):
    help = (
        "Run the warning and rectification loop on the demo region (after load_demo): last year's screening with "
        "its notice letters and reports in every state, a rolling screening with open notices, the escalation, "
        "and typical-case bulletins. Idempotent."
    )

    @transaction.atomic
    def handle(self, *args, **options):
        from incidents.prevention import services
        from incidents.prevention.models import Bulletin, NoticeLetter, ScreeningRun

        region = Region.objects.filter(code=DEMO_REGION).first()
        staff = User.objects.filter(username=STAFF).select_related("agency").first()
        if region is None or staff is None:
            raise CommandError("Run `python manage.py load_demo` first.")
        today = timezone.localdate()
        rule = services.default_rule(actor=staff, region=region)
        if rule.version == 1:
            # The region tightens the default thresholds, as 永康 did for its list: version 2 is in force and
            # version 1 is kept as superseded.
            draft = services.draft_rule(
                actor=staff,
                region=region,
                data={
                    "min_cases": 5,
                    "min_rate": 20,
                    "rate_min_cases": 3,
                    "min_serious": 2,
                    "note": "按本市工伤事故发生水平调整，聚焦事故多发、高发企业。",
                },
            )
            services.publish_rule(actor=staff, rule=draft)

        # Last year's annual screening, its notices issued on the rule's date this year.
        rule = services.ScreeningRule.objects.in_force_for(region)
        annual_day = datetime.date(today.year, rule.annual_month, rule.annual_day)
        annual = None
        if annual_day < today:
            annual = services.run_screening(
                actor=staff, region=region, kind=ScreeningRun.Kind.ANNUAL, window=services.annual_window(today.year - 1)
            )
            if not annual.notices.exists():
                try:
                    services.issue_notices(actor=staff, run=annual, issued_on=annual_day)
                except ValidationError as exc:  # a year the holiday calendar does not cover yet
                    self.stderr.write(f"annual notices not issued: {exc}")
                self.file_reports(services, staff, list(annual.notices.select_related("enterprise")))

        # A rolling screening over the last 12 months, its notices issued two weeks ago (or as late as the holiday
        # calendar allows a deadline to be computed), so that the officer has a report to file.
        issued = self.issue_date(today - datetime.timedelta(days=14))
        rolling = services.run_screening(  # the 12 months before the day its notices are dated
            actor=staff, region=region, kind=ScreeningRun.Kind.ROLLING, window=services.rolling_window(issued)
        )
        if not rolling.notices.exists():
            try:
                services.issue_notices(actor=staff, run=rolling, issued_on=issued)
            except ValidationError as exc:
                self.stderr.write(f"rolling notices not issued: {exc}")
        published = annual or rolling
        if published.published_at is None:
            services.publish_screening(actor=staff, run=published, scope=region)
        outcomes = services.escalate(today=today)
        bulletins = 0 if Bulletin.objects.exists() else self.bulletins(services, staff)
        self.stdout.write(
            f"prevention loop: {ScreeningRun.objects.count()} screenings, {NoticeLetter.objects.count()} notices, "
            f"escalation {outcomes}, {bulletins} bulletins"
        )

    @staticmethod
    def issue_date(wanted: datetime.date) -> datetime.date:
        """``wanted``, or the latest earlier date whose one-month deadline the holiday calendar can compute."""
        day = wanted
        for _ in range(400):
            try:
                add_months_deadline(day, 1)
                return day
            except CalendarNotSeeded:
                day -= datetime.timedelta(days=7)
        return wanted

    @staticmethod
    def file_reports(services, staff, notices) -> None:
        """Reports as enterprises really file them: most accepted (some after a return), some still in review, a
        few never filed (the escalation puts those under key supervision)."""
        for i, notice in enumerate(notices):
            officer = User.objects.filter(enterprise=notice.enterprise, role="safety_officer").first()
            if officer is None:
                officer = User(
                    username=f"demo_officer_{notice.enterprise_id}",
                    role="safety_officer",
                    enterprise=notice.enterprise,
                    full_name="安全员",
                )  # the enterprise's account that filed the demo's past reports; it has no password to log in with
                officer.set_unusable_password()
                officer.save()
            if i % 5 == 4:
                continue  # never filed
            cases = services.notice_cases(notice).values_list("pk", "cause", "post")
            data = {
                "immediate_measures": "事故发生后立即停机，封闭现场，对同类设备全面停机检查。",
                "self_inspection": "组织全厂隐患排查，发现防护装置缺失、安全警示不足等隐患，已建立台账逐项整改。",
                "case_analyses": [
                    {
                        "case": pk,
                        "cause": f"直接原因：{cause or '违章操作'}；间接原因：{post}岗位培训和现场监督不到位。",
                    }
                    for pk, cause, post in cases
                ],
                "post_measures": [
                    {"post": p.post, "measures": "完善防护装置，修订岗位操作规程，岗前复训并考核。"}
                    for p in services.notice_posts(notice)
                ],
                "causes_found": "逐起分析事故直接原因和管理原因，形成分析报告。",
                "responsible_handled": "对相关班组长和车间负责人进行了考核处理。",
                "people_educated": "召开事故警示教育会，全员参加安全培训。",
                "measures_in_place": "整改措施已落实到岗位，由安全科每周检查。",
            }
            with _as_of(services, notice.issued_on + datetime.timedelta(days=10)):
                report = services.save_report(actor=officer, notice=notice, data=data)
                services.submit_report(actor=officer, report=report)
                if i % 5 == 3:
                    continue  # still being reviewed
                if i % 5 == 1:
                    services.return_report(actor=staff, report=report, reason="事故原因分析过于简单，请补充管理原因。")
                    report = services.save_report(
                        actor=officer,
                        notice=notice,
                        data={"causes_found": "补充分析：安全管理制度未落实，班组安全检查流于形式。"},
                    )
                    services.submit_report(actor=officer, report=report)
                services.accept_report(actor=staff, report=report, comment="整改措施具体可行，予以通过。")

    @staticmethod
    def bulletins(services, staff) -> int:
        """Three typical-case bulletins from the most serious cases, written without names."""
        from incidents.models import InjuryCase

        cases = (
            InjuryCase.objects.filter(enterprise__region__path__startswith=staff.agency.region.path)
            .filter(severity__in=["fatal", "serious"])
            .select_related("accident_type", "enterprise__industry", "enterprise__region")
            .order_by("severity", "-occurred_at")[:3]
        )
        made = 0
        for case in cases:
            kind = case.accident_type.name
            month = timezone.localtime(case.occurred_at)
            text = {
                "title": f"{case.enterprise.industry.name}{kind}典型事故",
                "summary": (
                    f"{month:%Y年%m月}，{case.enterprise.region.name}某{case.enterprise.industry.name}企业一名"
                    f"{case.post}在作业中发生{kind}事故，造成{case.get_severity_display()}。"
                ),
                "cause_analysis": f"经调查，事故直接原因为{case.cause or '违章操作'}；企业安全培训和现场管理不到位。",
                "lessons": LESSONS.get(kind, DEFAULT_LESSON),
            }
            bulletin = services.draft_bulletin(actor=staff, data=text, case=case)
            services.publish_bulletin(actor=staff, bulletin=bulletin)
            made += 1
        return made


class _as_of:
    """Run the services as if on ``day`` (the demo's past reports were filed before their deadlines)."""

    def __init__(self, services, day):
        self.services, self.day = services, day

    def __enter__(self):
        self.saved = self.services._today, self.services._now
        moment = timezone.make_aware(datetime.datetime.combine(self.day, datetime.time(10)))
        self.services._today, self.services._now = (lambda: self.day), (lambda: moment)

    def __exit__(self, *exc):
        self.services._today, self.services._now = self.saved
