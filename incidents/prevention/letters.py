"""The notice letter (告知书): what it says, for the page and the PDF alike, and its typeset PDF.

``notice_content(notice)`` is everything the letter says, as plain data (the page renders it, the PDF typesets
it); ``notice_pdf(notice)`` is one letter as a PDF and ``notice_pdfs(notices)`` many, reading the cases and
posts of all of them in a few queries. Personal data stays masked: a case shows the worker's masked name, never
the name or the ID number.

Wording. The letter's own sentences are gettext msgids in English with their Chinese translation in the
catalogue, like every string of the portal. The duties 一查二降三禁四不放过 are **not**: they are a quotation
of 永政办发〔2020〕58号 (seed 004, 二(二)2) and keep the document's exact Chinese wording, which a translation
round trip could only alter; they are Chinese constants below and read the same in every language.

The PDF is an official document in the portal's language (``settings.LANGUAGE_CODE``), whatever the language of
the user who downloads it. Letters render at well over 100 a second per process: the letter's fixed wording is
the fonts' ``subset_seed`` (``portal.pdf``), so the embedded font subsets for it are built once per process and
each letter adds only a small subset for its own names and posts.
"""

from __future__ import annotations

import datetime
import functools
import itertools
from collections import defaultdict
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext

from enterprises.models import Enterprise
from incidents.models import InjuryCase, Severity
from portal.accounts.models import Agency
from portal.pdf import PdfDocument, chinese_date
from portal.reference.models import AccidentType, Region, add_months

from . import services
from .models import HighIncidentPost, NoticeLetter, ScreeningResult, ScreeningRule, ScreeningRun
from .selectors import Window

# 一查二降三禁四不放过, quoted from 永政办发〔2020〕58号 二(二)2「专项整改」 (seed 004). Chinese on purpose: the
# document's own words, not the portal's (see the module docstring).
DUTIES: tuple[tuple[str, str], ...] = (
    ("一查", "自纠自查"),
    ("二降", "工伤事故发生总数和工伤事故发生率双下降"),
    ("三禁", "禁止违章指挥、禁止违规作业、禁止违反劳动纪律"),
    (
        "四不放过",
        "事故原因未查清不放过、事故责任人未受到处理不放过、事故责任人和周围群众没有受到教育不放过、"
        "事故没有制订切实可行的整改措施不放过",
    ),
)
DUTIES_TEXT = "、".join(f"{name}（{text}）" for name, text in DUTIES)


def _local_date(value: datetime.datetime) -> datetime.date:
    return timezone.localtime(value).date()


def _cases_of(notices: list[NoticeLetter]) -> dict[int, list[InjuryCase]]:
    """{notice id: its listed cases} — ``services.notice_cases`` for many notices, one query per screening run:
    each enterprise's cases in its run's period, oldest first, with only the columns a letter shows (the ID
    number is not even read)."""
    by_run: dict[int, list[NoticeLetter]] = defaultdict(list)
    for notice in notices:
        by_run[notice.run_id].append(notice)
    out: dict[int, list[InjuryCase]] = {n.pk: [] for n in notices}
    for run_notices in by_run.values():
        run = run_notices[0].run
        start, end = Window(run.period_start, run.period_end).bounds
        notice_of = {n.enterprise_id: n.pk for n in run_notices}
        cases = (
            InjuryCase.objects.filter(enterprise_id__in=list(notice_of), occurred_at__gte=start, occurred_at__lt=end)
            .select_related("accident_type")
            .only("pk", "enterprise_id", "occurred_at", "post", "severity", "worker_name", "accident_type__name")
            .order_by("occurred_at", "pk")
        )
        for case in cases:
            out[notice_of[case.enterprise_id]].append(case)
    return out


def _with_relations(notices: Iterable[NoticeLetter]) -> list[NoticeLetter]:
    ids = [n.pk for n in notices]
    found = NoticeLetter.objects.filter(pk__in=ids).select_related(
        "enterprise", "owner_agency", "run__rule", "run__region", "result"
    )
    by_id = {n.pk: n for n in found}
    return [by_id[pk] for pk in ids if pk in by_id]


def notice_content(notice: NoticeLetter) -> dict[str, Any]:
    """Everything the letter says, in the active language (dates as ``datetime.date``):

    ``title``, ``number``, ``agency`` (issuing agency's name), ``issued_on``, ``salutation``, ``intro``;
    ``enterprise`` {name, credit_code, address}; ``period`` {start, end, kind}; ``rule`` {version, region,
    thresholds, text}; ``figures`` {cases, serious, fatal, insured, rate, reasons}; ``cases`` [{number, date, post,
    accident_type, severity, worker}] (``worker`` masked); ``posts`` [{post, cases}]; ``duties`` [{name, text}],
    ``duties_text`` (一查…四不放过 as seed 004 words them), ``requirement``; ``deadline``, ``original_deadline``
    (None unless extended), ``extended``, ``portal_url``, ``filing_text``, ``filing`` [str]; ``review_on`` (four
    months on), ``consequences`` [str]; ``closing``; ``headings`` {particulars, cases, posts, requirement, filing,
    consequences} and ``labels`` (the column and field names).
    """
    cases = list(
        services.notice_cases(notice)
        .select_related("accident_type")
        .only("pk", "enterprise_id", "occurred_at", "post", "severity", "worker_name", "accident_type__name")
        .order_by("occurred_at", "pk")
    )
    return _content(notice, cases, services.notice_posts(notice))


def _content(notice: NoticeLetter, cases: list[InjuryCase], posts: list[HighIncidentPost]) -> dict[str, Any]:
    run, result, enterprise = notice.run, notice.result, notice.enterprise
    rule = run.rule
    thresholds = rule.thresholds
    deadline, original = notice.deadline, notice.original_deadline
    extended = deadline != original
    review_on = add_months(notice.issued_on, services.REVIEW_MONTHS)
    url = settings.PORTAL_BASE_URL.rstrip("/") + notice.get_absolute_url()
    fmt = {
        "start": chinese_date(run.period_start),
        "end": chinese_date(run.period_end),
        "version": rule.version,
        "deadline": chinese_date(deadline),
        "original": chinese_date(original),
        "review_on": chinese_date(review_on),
        "url": url,
        "duties": DUTIES_TEXT,
    }
    if extended:
        deadline_text = _("by %(deadline)s (extended from %(original)s)") % fmt
    else:
        deadline_text = _("by %(deadline)s") % fmt
    return {
        "title": _("Notice of frequent work-injury accidents"),
        "number": notice.number,
        "agency": notice.owner_agency.name,
        "issued_on": notice.issued_on,
        "salutation": _("%(enterprise)s:") % {"enterprise": enterprise.name},
        "intro": _(
            "Under the city's linkage mechanism of work-injury prevention and work safety, the screening of the "
            "work-injury cases from %(start)s to %(end)s (screening rule version %(version)s) lists your enterprise "
            "as a multi-incident key enterprise. You are hereby notified as follows."
        )
        % fmt,
        "enterprise": {"name": enterprise.name, "credit_code": enterprise.credit_code, "address": enterprise.address},
        "period": {"start": run.period_start, "end": run.period_end, "kind": str(run.get_kind_display())},
        "rule": {
            "version": rule.version,
            "region": str(run.region),
            "thresholds": thresholds,
            "text": _(
                "%(min_cases)s or more cases; or an incidence rate of %(min_rate)s‰ or more with at least "
                "%(rate_min_cases)s cases; or %(min_serious)s or more cases of serious injury or death"
            )
            % thresholds,
        },
        "figures": {
            "cases": result.cases,
            "serious": result.serious,
            "fatal": result.fatal,
            "insured": result.insured,
            "rate": result.rate,
            "reasons": [str(r) for r in result.reasons],
        },
        "cases": [
            {
                "number": i,
                "date": _local_date(case.occurred_at),
                "post": case.post,
                "accident_type": getattr(case.accident_type, "name", ""),
                "severity": str(case.get_severity_display()),
                "worker": case.masked_worker_name,
            }
            for i, case in enumerate(cases, start=1)
        ],
        "posts": [{"post": p.post, "cases": p.cases} for p in posts],
        "duties": [{"name": name, "text": text} for name, text in DUTIES],
        "duties_text": DUTIES_TEXT,
        "requirement": _(
            "Following the principle of “%(duties)s”, analyse in depth the causes of your past work-injury "
            "accidents within one month, put targeted preventive measures in place and cut both the number and "
            "the rate of work-injury accidents."
        )
        % fmt,
        "deadline": deadline,
        "original_deadline": original if extended else None,
        "extended": extended,
        "portal_url": url,
        "filing_text": _(
            "File your rectification report online %(deadline_text)s on the work-injury prevention portal: %(url)s"
        )
        % {**fmt, "deadline_text": deadline_text},
        "filing": [
            _("(1) the findings of your self-inspection"),
            _("(2) a root-cause analysis of each case listed above"),
            _("(3) the preventive measures for each high-incident post"),
            _("(4) how each point of the four 不放过 has been carried out"),
            _("(5) supporting documents (PDF, images or office files)"),
        ],
        "review_on": review_on,
        "consequences": [
            _(
                "If no rectification report of your enterprise has been accepted by %(deadline)s, your enterprise "
                "will be placed under key supervision and referred to the competent authority for an "
                "administrative penalty."
            )
            % fmt,
            _(
                "Four months after this notice (%(review_on)s), if your work-injury cases are not down by at least "
                "30%% on the same period of last year, or your incidence rate is above the city average, your "
                "enterprise will be listed among the city's key supervised units for work safety (挂牌督办)."
            )
            % fmt,
            _("An accident causing serious injury or death is referred for a penalty at its first occurrence."),
        ],
        "closing": _("You are hereby notified."),
        "headings": {
            "particulars": _("1. Particulars"),
            "cases": _("2. Work-injury cases"),
            "posts": _("3. High-incident posts"),
            "requirement": _("4. Rectification required"),
            "filing": _("5. Filing the rectification report"),
            "consequences": _("6. If the enterprise does not rectify"),
        },
        "labels": {  # short words with a letter's own context, so their translation is the letter's
            "enterprise": pgettext("notice letter", "Enterprise"),
            "credit_code": pgettext("notice letter", "Unified social credit code"),
            "address": pgettext("notice letter", "Address"),
            "screening": pgettext("notice letter", "Screening"),
            "criteria": pgettext("notice letter", "Criteria"),
            "figures": pgettext("notice letter", "Your figures"),
            "no": pgettext("notice letter", "No."),
            "date": pgettext("notice letter", "Date"),
            "post": pgettext("notice letter", "Post"),
            "accident_type": pgettext("notice letter", "Accident type"),
            "severity": pgettext("notice letter", "Severity"),
            "worker": pgettext("notice letter", "Injured worker"),
        },
    }


def _figures_text(content: dict[str, Any]) -> str:
    figures = content["figures"]
    parts = [_("%(cases)s cases, of which %(serious)s serious injuries and %(fatal)s deaths") % figures]
    if figures["rate"] is not None:
        parts.append(_("incidence rate %(rate)s‰") % figures)
    if figures["reasons"]:
        parts.append(
            _("listed by: %(reasons)s") % {"reasons": pgettext("list separator", ", ").join(figures["reasons"])}
        )
    return pgettext("clause separator", "; ").join(parts)


def _posts_text(content: dict[str, Any]) -> str:
    if not content["posts"]:
        return "—"
    return pgettext("clause separator", "; ").join(
        ngettext("%(post)s (%(cases)s case)", "%(post)s (%(cases)s cases)", p["cases"]) % p for p in content["posts"]
    )


def _document(content: dict[str, Any], *, subset_seed: dict[str, str] | None = None) -> PdfDocument:
    labels, headings = content["labels"], content["headings"]
    doc = PdfDocument(
        title=f"{content['title']} {content['number']}",
        subject=content["enterprise"]["name"],
        author=content["agency"],
        keywords=[content["number"]],
        subset_seed=subset_seed,
    )
    doc.heading(content["title"], level=1)
    doc.paragraph(content["number"], indent_first_line=False, align="center")
    doc.paragraph(content["salutation"], indent_first_line=False)
    doc.paragraph(content["intro"])
    doc.heading(headings["particulars"], level=3)
    period = content["period"]
    doc.key_values(
        [
            (labels["enterprise"], content["enterprise"]["name"]),
            (labels["credit_code"], content["enterprise"]["credit_code"]),
            (labels["address"], content["enterprise"]["address"] or "—"),
            (
                labels["screening"],
                _("%(start)s to %(end)s, %(kind)s, rule version %(version)s")
                % {
                    "start": chinese_date(period["start"]),
                    "end": chinese_date(period["end"]),
                    "kind": period["kind"],
                    "version": content["rule"]["version"],
                },
            ),
            (labels["criteria"], content["rule"]["text"]),
            (labels["figures"], _figures_text(content)),
        ],
        label_width_mm=38,
    )
    doc.heading(headings["cases"], level=3)
    doc.table(
        [labels[k] for k in ("no", "date", "post", "accident_type", "severity", "worker")],
        [
            [c["number"], chinese_date(c["date"]), c["post"], c["accident_type"], c["severity"], c["worker"]]
            for c in content["cases"]
        ],
        col_widths=[0.7, 2, 2.2, 1.8, 1.2, 1.4],
        col_align=["center", "center", "left", "left", "center", "center"],
    )
    doc.heading(headings["posts"], level=3)
    doc.paragraph(_posts_text(content))
    doc.heading(headings["requirement"], level=3)
    doc.paragraph(content["requirement"])
    doc.heading(headings["filing"], level=3)
    doc.paragraph(content["filing_text"])
    doc.paragraph(
        _("The report covers: %(items)s.") % {"items": pgettext("clause separator", "; ").join(content["filing"])}
    )
    doc.heading(headings["consequences"], level=3)
    for line in content["consequences"]:
        doc.paragraph(line)
    doc.paragraph(content["closing"])
    doc.signature_block(content["agency"], content["issued_on"])
    return doc


@functools.lru_cache(maxsize=32)
def _subset_seed(language: str, agency: str) -> dict[str, str]:
    """The characters of the letter's fixed wording in each font, for an issuing agency and a language: a letter
    laid out for a stand-in notice (ASCII names and posts, an extended deadline, a case of each severity, every
    reason met). ``language`` is the cache key only: the caller has it active."""
    day = datetime.date(2000, 1, 3)
    rule = ScreeningRule(version=1)
    run = ScreeningRun(
        rule=rule, region=Region(name="x"), kind=ScreeningRun.Kind.ANNUAL, period_start=day, period_end=day
    )
    result = ScreeningResult(
        cases=1, serious=1, fatal=1, insured=1, rate=Decimal(1), by_count=True, by_rate=True, by_severity=True
    )
    notice = NoticeLetter(
        pk=1,
        run=run,
        result=result,
        enterprise=Enterprise(name="x", credit_code="x", address="x"),
        owner_agency=Agency(name=agency),
        number=agency,
        issued_on=day,
        original_deadline=day,
        deadline=day + datetime.timedelta(days=1),
    )
    when = timezone.make_aware(datetime.datetime.combine(day, datetime.time(8)))
    cases = [
        InjuryCase(occurred_at=when, post="x", severity=s, worker_name="x", accident_type=AccidentType(name="x"))
        for s in Severity.values
    ]
    return _document(_content(notice, cases, [HighIncidentPost(post="x", cases=1)])).font_text()


def notice_pdf(notice: NoticeLetter) -> bytes:
    """The notice letter as a PDF (A4, Noto fonts embedded as subsets), in the portal's language."""
    return next(notice_pdfs([notice]))[1]


def notice_pdfs(notices: Iterable[NoticeLetter], *, chunk: int = 500) -> Iterator[tuple[NoticeLetter, bytes]]:
    """(notice, PDF) for each notice, in order: ``chunk`` notices at a time, their enterprises, runs, cases and
    posts read in a few queries (not per letter), each letter built with its agency's subset seed."""
    it = iter(notices)
    with translation.override(settings.LANGUAGE_CODE):
        language = translation.get_language()
        while given := list(itertools.islice(it, chunk)):
            batch = _with_relations(given)
            cases = _cases_of(batch)
            for notice in batch:  # the posts are the result's, read with it
                content = _content(notice, cases[notice.pk], notice.result.high_incident_posts)
                seed = _subset_seed(language, content["agency"])
                yield notice, _document(content, subset_seed=seed).build()
