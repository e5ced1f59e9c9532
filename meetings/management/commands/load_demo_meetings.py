"""Load the demo region's joint meeting (after ``load_demo``): 永康市's committee with members in the shape of seed
002's lists (召集人, 副召集人, 成员, 联络员; invented names, real titles), one membership change in the history, seed
000's eleven key tasks adopted as the template, and a few progress reports; then the whole meeting workflow:

* this year's annual start-of-year meeting (seed 004 §2.1.2), held and closed: called, 应急's proposal approved,
  the notice sent and replied to (one delegate), attendance, minutes, two decisions with two action items (one
  done, one open and overdue, each with progress) and the minutes published (their PDF is on the meeting's page);
* an upcoming regular meeting, about three weeks ahead, still calling for agenda items, with 卫健's proposal;
* a closed opinion solicitation modelled on seed 000's letter (应急 replied with comments and the stamped scan,
  住建 无意见, 卫健 and 交通运输 silent → 无意见（逾期未回复） by the deadline job);
* an open solicitation, about ten days to its deadline, that 交通运输 answered and 卫健 still owes.

The demo replays past events at their dates: every step of a past event runs with the services' clock
(``_now()`` and ``_today()`` of ``meetings.services.meetings``, ``_now()`` of ``meetings.services.solicitations``)
patched to that moment, so the services' own rules (agenda cut-off, start time, reply deadline) hold as they did
then; the upcoming meeting and the open solicitation are written at the real now.

Idempotent: meetings and solicitations are recognised by their titles, so a second run creates nothing.
Everything is written through the services (audited), as the secretariat ``mishu`` and the agencies' staff."""

from __future__ import annotations

import contextlib
import datetime
import io
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.utils import timezone

from meetings.models import Attendance, Committee, KeyTask, Meeting, Member, Reply, Solicitation, TaskProgress
from meetings.services import committee as committee_services
from meetings.services import keytasks as task_services
from meetings.services import meetings as meeting_services
from meetings.services import solicitations as solicitation_services
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


# --- the meeting workflow ------------------------------------------------------------------------------------------


def at(year: int, month: int, day: int, hour: int = 9, minute: int = 0) -> datetime.datetime:
    """An aware moment in the portal's time zone."""
    return datetime.datetime(year, month, day, hour, minute, tzinfo=timezone.get_default_timezone())


@contextlib.contextmanager
def clock(moment: datetime.datetime):
    """The services' clock set to ``moment`` (a past event replayed at its date)."""
    day = timezone.localtime(moment).date()
    with (
        mock.patch.object(meeting_services, "_now", lambda: moment),
        mock.patch.object(meeting_services, "_today", lambda: day),
        mock.patch.object(solicitation_services, "_now", lambda: moment),
    ):
        yield


def demo_pdf(file_name: str, lines: list[str]) -> SimpleUploadedFile:
    """A small one-page PDF (reportlab, the built-in Chinese CID font: no font file needed), as an upload."""
    from reportlab.lib.pagesizes import A4
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.cidfonts import UnicodeCIDFont
    from reportlab.pdfgen import canvas

    if "STSong-Light" not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont("STSong-Light"))
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=A4, invariant=True)
    page.setTitle(file_name.rsplit(".", 1)[0])
    y = A4[1] - 72
    for number, line in enumerate(lines):
        page.setFont("STSong-Light", 16 if number == 0 else 11)
        for start in range(0, len(line), 38):  # about 38 characters a line at 11 pt
            page.drawString(60, y, line[start : start + 38])
            y -= 24 if number == 0 else 18
    page.showPage()
    page.save()
    return SimpleUploadedFile(file_name, out.getvalue(), content_type="application/pdf")


def demo_year(today: datetime.date) -> int:
    """The year of the replayed events: this year once its first five months are over (so the meeting, its
    action items' due dates and the solicitation's deadline lie in the past), else last year."""
    return today.year if today >= datetime.date(today.year, 6, 1) else today.year - 1


PLACE = "市行政服务中心5楼第三会议室"
EMERGENCY_ITEM = (
    "工伤事故多发企业联合执法检查工作安排",
    "根据上一年度工伤事故通报，对金属制品、机械制造行业工伤事故多发企业开展联合执法检查，"
    "由市应急管理局牵头，市人社局、市住建局配合，检查结果纳入安全生产重点监管。",
)
# kind → (reply, name, title): the replies to the annual meeting's notice; 卫健 sends a delegate.
NOTICE_REPLIES = {
    "hrss": (Attendance.Reply.ATTENDS, "陈建华", "市人社局党组书记、局长"),
    "emergency": (Attendance.Reply.ATTENDS, "金伟强", "市应急管理局副局长"),
    "health": (Attendance.Reply.DELEGATE, "楼晓丽", "市卫生健康局职业健康科科长"),
    "housing": (Attendance.Reply.ATTENDS, "钱国平", "市住房和城乡建设局副局长"),
    "transport": (Attendance.Reply.ATTENDS, "应卫东", "市交通运输局副局长"),
}
ABSENT = {"union"}
MINUTES = (
    "{year}年{month}月{day}日上午，副市长林志远主持召开{name}{year}年度第一次全体会议。市人社局通报了{last}年度"
    "全市工伤事故总体形势、事故发生的重点行业和重点企业及主要特征；市应急管理局就工伤事故多发企业联合执法检查"
    "作了说明；各成员单位结合职责交流了本领域工伤预防工作情况。\n"
    "会议指出，{last}年全市工伤事故仍集中在金属制品、机械制造和建筑施工行业，冲压、切割岗位和新入职职工"
    "事故多发。会议要求，各成员单位要坚持“安全第一、预防为主、信息共享、综合治理”的原则，按照“一期一分析、"
    "一事一排查”的要求，针对性制定预警通报与整治方案，切实落实重点工作任务清单，按季度报送工作进展。"
)
DECISIONS = [
    "确定金属制品、机械制造、建筑施工为{year}年度工伤预防重点行业；由市应急管理局牵头，市人社局、市住建局配合，"
    "对上一年度工伤事故多发企业开展联合执法检查，4月底前制定检查方案。",
    "建立重点行业职业病危害信息季度交换机制，由市卫生健康局牵头，市人社局配合，5月底前形成交换制度并首次交换"
    "职业病诊断和职业健康检查信息。",
]
# (decision index, title, lead kind, participant kinds, due (month, day), description)
ACTIONS = [
    (
        0,
        "制定工伤事故多发企业联合执法检查方案",
        "emergency",
        ["hrss", "housing"],
        (4, 30),
        "明确检查对象、检查内容、分工和时间安排，报联席会议办公室备案。",
    ),
    (
        1,
        "建立重点行业职业病危害信息季度交换机制",
        "health",
        ["hrss"],
        (5, 29),
        "形成信息交换制度，明确交换内容、格式和时限，并完成首次信息交换。",
    ),
]
SOLICITED = ("emergency", "health", "housing", "transport")
PLAN_TITLE = "《永康市重点行业、领域工伤预防监测机制工作实施方案（征求意见稿）》"
CLOSED_SOLICITATION = f"关于征求{PLAN_TITLE}意见建议的函"
CLOSED_LETTER = (
    "永康市工伤预防工作联席会议各成员单位：\n"
    "为进一步普及工伤保险政策和工伤预防知识，增强全市用人单位和广大职工工伤保险意识，从源头上减少工伤事故，"
    "依法维护职工工伤保险权益，根据《工伤保险条例》《工伤预防五年行动计划（2021—2025年）》（人社部发〔2020〕"
    f"90号）等文件精神及工作要求，我局草拟了{PLAN_TITLE}，现向各成员单位征求意见。如有修改建议，请于"
    "{deadline}前将修改意见经领导审核后加盖贵单位公章，扫描件在本平台回复，逾期不回复视为无意见。\n"
    "联系人：王晓明  联系电话：0579-87120016\n"
    f"附件：{PLAN_TITLE}"
)
PLAN_LINES = [
    "永康市重点行业、领域工伤预防监测机制工作实施方案（征求意见稿）",
    "一、指导思想：扎实推进工伤预防五年行动计划，推动落实企业工伤预防主体责任，提升工伤预防意识能力。",
    "二、监测范围：金属制品、机械制造、建筑施工、交通运输。",
    "三、工作目标：工作场所劳动条件不断改善，工伤事故发生率和职业病发生率明显下降。",
    "四、成员单位主要职责：市人社局负责牵头召开重点行业、领域工伤预防监测联席会议，组织协调监测工作；"
    "市应急管理局、市卫生健康局、市住建局、市交通运输局按照职能组织开展工伤预防监测工作。",
    "五、工作机制：强化协同联动，建立信息交换、数据共享机制，每季度报送一次重点行业企业、事故和职业病信息。",
]
EMERGENCY_COMMENTS = (
    "1. 建议在“监测范围”中增加“有限空间作业”和“粉尘涉爆”企业；\n"
    "2. 建议明确工伤事故信息与生产安全事故信息的交换时限为每季度结束后15日内；\n"
    "3. 第四部分“市应急管理局”职责中“参加监测联席会议”改为“按时参加工伤预防监测联席会议”。"
)
OPEN_LETTER = (
    "永康市工伤预防工作联席会议各成员单位：\n"
    "为做好{year}年度工伤预防宣传培训工作，我局根据工伤事故多发行业、岗位分布情况，拟定了{plan}，"
    "现向各成员单位征求意见。请结合本单位职责，于{deadline}前在本平台回复；有修改意见的，请将经领导审核并加盖"
    "公章的意见扫描件一并上传，逾期不回复视为无意见。\n"
    "联系人：王晓明  联系电话：0579-87120016"
)


class _Workflow:
    """The meeting workflow of the demo (mixed into the command, whose ``agency`` and ``reporter`` it uses)."""

    secretariat: User

    def user_of(self, committee: Committee, kind: str) -> User | None:
        agency = self.agency(committee, kind)
        return self.reporter(agency) if agency is not None else None

    # -- the annual start-of-year meeting, replayed ---------------------------------------------------------------

    def annual_meeting(self, committee: Committee) -> int:
        year = demo_year(timezone.localdate())
        title = f"{year}年度工伤预防工作联席会议第一次全体会议"
        if Meeting.objects.filter(committee=committee, title=title).exists():
            return 0
        secretariat = self.secretariat
        starts = at(year, 2, 26, 9, 30)
        with clock(at(year, 1, 20, 9)):
            meeting = meeting_services.call_meeting(
                actor=secretariat,
                committee=committee,
                kind=Meeting.Kind.ANNUAL,
                title=title,
                starts_at=starts,
                place=PLACE,
                agenda_cutoff=at(year, 2, 13, 17),
            )
        proposer = self.user_of(committee, "emergency")
        if proposer is not None and meeting_services.is_member_agency(proposer, committee):
            with clock(at(year, 2, 3, 10)):
                item = meeting_services.propose_agenda_item(
                    actor=proposer, meeting=meeting, title=EMERGENCY_ITEM[0], description=EMERGENCY_ITEM[1]
                )
            with clock(at(year, 2, 16, 9)):
                meeting_services.approve_agenda_item(actor=secretariat, item=item)
        with clock(at(year, 2, 16, 9, 30)):
            meeting_services.send_notice(actor=secretariat, meeting=meeting)
        for day, (kind, (reply, name, person_title)) in enumerate(NOTICE_REPLIES.items(), start=17):
            user = self.user_of(committee, kind)
            if user is None or not meeting.attendance.filter(agency_id=user.agency_id).exists():
                continue
            with clock(at(year, 2, day, 10)):
                meeting_services.reply_to_notice(
                    actor=user, meeting=meeting, reply=reply, name=name, title=person_title
                )
        end = at(year, 2, 26, 11, 30)
        with clock(end):
            present = {
                row.agency_id: row.agency.kind not in ABSENT for row in meeting.attendance.select_related("agency")
            }
            meeting_services.record_attendance(actor=secretariat, meeting=meeting, present=present)
            meeting_services.record_minutes(
                actor=secretariat,
                meeting=meeting,
                minutes=MINUTES.format(year=year, month=2, day=26, name=committee.name, last=year - 1),
                chaired_by="林志远",
            )
            decisions = [
                meeting_services.add_decision(actor=secretariat, meeting=meeting, text=text.format(year=year))
                for text in DECISIONS
            ]
            actions = []
            for index, action_title, lead_kind, participant_kinds, (month, day), description in ACTIONS:
                lead = self.agency(committee, lead_kind)
                if lead is None or not meeting.attendance.filter(agency=lead).exists():
                    continue
                participants = [
                    a
                    for a in (self.agency(committee, k) for k in participant_kinds)
                    if a is not None and meeting.attendance.filter(agency=a).exists()
                ]
                actions.append(
                    meeting_services.create_action_item(
                        actor=secretariat,
                        decision=decisions[index],
                        title=action_title,
                        lead_agency=lead,
                        due_on=datetime.date(year, month, day),
                        participants=participants,
                        description=description,
                    )
                )
        with clock(at(year, 3, 3, 10)):
            meeting_services.publish_minutes(actor=secretariat, meeting=meeting)
        self.action_progress(committee, year, actions)
        return 1

    def action_progress(self, committee: Committee, year: int, actions) -> None:
        """The inspection plan: reported and done before its due date; the information exchange: one report, then
        silence past its due date (open, overdue)."""
        by_title = {a.title: a for a in actions}
        inspection = by_title.get(ACTIONS[0][1])
        if inspection is not None:
            user = self.user_of(committee, ACTIONS[0][2])
            if user is not None:
                with clock(at(year, 4, 20, 15)):
                    meeting_services.report_progress(
                        actor=user,
                        action=inspection,
                        text="《工伤事故多发企业联合执法检查方案》已印发，确定检查企业32家，5月起分三批开展检查。",
                        percent=100,
                    )
                with clock(at(year, 4, 22, 9)):
                    meeting_services.mark_action_done(actor=user, action=inspection)
        exchange = by_title.get(ACTIONS[1][1])
        if exchange is not None:
            user = self.user_of(committee, ACTIONS[1][2])
            if user is not None:
                with clock(at(year, 5, 15, 16)):
                    meeting_services.report_progress(
                        actor=user,
                        action=exchange,
                        text="信息交换制度初稿已起草，正与市人社局对接数据格式，首次交换待制度印发后开展。",
                        percent=40,
                    )

    # -- the upcoming regular meeting, at the real now --------------------------------------------------------------

    def upcoming_meeting(self, committee: Committee) -> int:
        now = timezone.localtime(meeting_services._now())
        day = now.date() + datetime.timedelta(days=21)
        quarter = (day.month - 1) // 3 + 1
        title = f"{day.year}年第{'一二三四'[quarter - 1]}季度工伤预防工作联席会议"
        if Meeting.objects.filter(committee=committee, title=title).exists():
            return 0
        meeting = meeting_services.call_meeting(
            actor=self.secretariat,
            committee=committee,
            kind=Meeting.Kind.REGULAR,
            title=title,
            starts_at=at(day.year, day.month, day.day, 9, 30),
            place=PLACE,
            agenda_cutoff=at(day.year, day.month, day.day, 17) - datetime.timedelta(days=7),
        )
        proposer = self.user_of(committee, "health")
        if proposer is not None and meeting_services.may_propose(proposer, meeting):
            meeting_services.propose_agenda_item(
                actor=proposer,
                meeting=meeting,
                title="尘肺病等职业病高发企业专项治理情况通报",
                description="通报金属制品、石材加工企业职业病危害专项治理进展及职业健康检查发现的问题，"
                "提请研究将治理不到位企业纳入联合执法检查范围。",
            )
        return 1

    # -- the solicitations ------------------------------------------------------------------------------------------

    def recipients(self, committee: Committee) -> list[Agency]:
        members = set(solicitation_services.current_member_agencies(committee).values_list("pk", flat=True))
        return [a for a in (self.agency(committee, k) for k in SOLICITED) if a is not None and a.pk in members]

    def closed_solicitation(self, committee: Committee) -> int:
        if Solicitation.objects.filter(committee=committee, title=CLOSED_SOLICITATION).exists():
            return 0
        recipients = self.recipients(committee)
        if not recipients:
            return 0
        year = demo_year(timezone.localdate())
        deadline = at(year, 5, 26, 14, 30)
        with clock(at(year, 5, 12, 9)):
            solicitation = solicitation_services.draft_solicitation(
                actor=self.secretariat,
                committee=committee,
                title=CLOSED_SOLICITATION,
                body=CLOSED_LETTER.format(deadline=f"{year}年5月26日下午14:30"),
                deadline=deadline,
                agencies=recipients,
                attachments=[demo_pdf(f"{PLAN_TITLE[1:-1]}.pdf", PLAN_LINES)],
            )
        with clock(at(year, 5, 12, 10)):
            solicitation_services.circulate_solicitation(actor=self.secretariat, solicitation=solicitation)
        plan = [
            ("emergency", at(year, 5, 20, 16), Reply.State.COMMENTS, EMERGENCY_COMMENTS),
            ("housing", at(year, 5, 22, 10), Reply.State.NO_OPINION, ""),
        ]
        for kind, moment, state, comments in plan:
            self.reply(solicitation, kind, moment, state, comments)
        closing = deadline + datetime.timedelta(minutes=1)
        with clock(closing):
            solicitation_services.close_due_solicitations(now=closing)
        return 1

    def reply(self, solicitation: Solicitation, kind: str, moment, state: str, comments: str = "") -> None:
        user = self.user_of(solicitation.committee, kind)
        reply = solicitation.replies.filter(agency_id=getattr(user, "agency_id", None)).first()
        if user is None or reply is None:
            return
        scan = None
        if state == Reply.State.COMMENTS:
            agency = reply.agency.name
            scan = demo_pdf(
                f"{agency}意见（盖章）.pdf",
                [f"{agency}关于{PLAN_TITLE}的修改意见", *comments.split("\n"), f"{agency}（盖章）"],
            )
        with clock(moment):
            solicitation_services.reply_to_solicitation(
                actor=user, reply=reply, state=state, comments=comments, scan=scan
            )

    def open_solicitation(self, committee: Committee) -> int:
        now = timezone.localtime(solicitation_services._now())
        year = now.year + 1 if now.month >= 10 else now.year
        plan = f"《永康市{year}年度工伤预防宣传培训项目实施计划（征求意见稿）》"
        title = f"关于征求{plan}意见建议的函"
        if Solicitation.objects.filter(committee=committee, title=title).exists():
            return 0
        recipients = self.recipients(committee)
        if not recipients:
            return 0
        day = now.date() + datetime.timedelta(days=10)
        deadline = at(day.year, day.month, day.day, 17)
        solicitation = solicitation_services.draft_solicitation(
            actor=self.secretariat,
            committee=committee,
            title=title,
            body=OPEN_LETTER.format(year=year, plan=plan, deadline=f"{day.year}年{day.month}月{day.day}日17:00"),
            deadline=deadline,
            agencies=recipients,
            attachments=[
                demo_pdf(
                    f"{plan[1:-1]}.pdf",
                    [
                        plan[1:-1],
                        "一、培训对象：金属制品、机械制造、建筑施工、交通运输行业企业负责人、安全管理人员和一线职工。",
                        "二、培训内容：工伤保险政策、岗位安全操作规程、职业病防治知识、典型工伤事故案例警示。",
                        "三、实施方式：政府采购确定服务机构，按镇（街道）分片组织，全年培训不少于3000人次。",
                    ],
                )
            ],
        )
        solicitation_services.circulate_solicitation(actor=self.secretariat, solicitation=solicitation)
        self.reply(solicitation, "transport", solicitation_services._now(), Reply.State.NO_OPINION)
        return 1


class Command(_Workflow, BaseCommand):
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
        self.secretariat = secretariat
        meetings = self.annual_meeting(committee) + self.upcoming_meeting(committee)
        solicitations = self.closed_solicitation(committee) + self.open_solicitation(committee)
        skipped = "、".join(adoption.missing_departments)
        self.stdout.write(
            f"{committee.name}: {members} new members, {len(adoption.created)} tasks adopted"
            + (f" (no agency for {skipped})" if skipped else "")
            + f", {reports} new progress reports, {meetings} new meetings, {solicitations} new solicitations"
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
