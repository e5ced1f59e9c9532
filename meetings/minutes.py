"""The minutes of a meeting (《…会议纪要》): what they say, as plain data, typeset as a PDF (``portal.pdf``) and
written as a Word document (python-docx, 仿宋/黑体 as the East Asian fonts).

Both are official documents in the portal's language (``settings.LANGUAGE_CODE``), whatever the language of the
user who downloads them."""

from __future__ import annotations

from io import BytesIO
from typing import Any
from urllib.parse import quote

from django.conf import settings
from django.http import HttpResponse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from portal.pdf import PdfDocument, chinese_date

from .models import ActionItem, AgendaItem, Meeting

DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
BODY_FONT = "仿宋"
HEADING_FONT = "黑体"


def heading(meeting: Meeting) -> str:
    """《…会议纪要》: the meeting's name (with "meeting" added unless it ends so) as the minutes' title."""
    suffix = pgettext("meeting minutes", "meeting")
    name = meeting.title if meeting.title.endswith(suffix) else f"{meeting.title}{suffix}"
    return _("Minutes of %(meeting)s") % {"meeting": name}


def minutes_content(meeting: Meeting) -> dict[str, Any]:
    """Everything the minutes say, in the active language."""
    committee = meeting.committee
    attendance = list(meeting.attendance.select_related("agency").order_by("agency__kind", "agency__name"))
    agenda = list(
        meeting.agenda_items.filter(state=AgendaItem.State.APPROVED)
        .select_related("agency")
        .order_by("position", "proposed_at", "id")
    )
    decisions = list(meeting.decisions.order_by("position"))
    actions = list(
        ActionItem.objects.filter(decision__meeting=meeting)
        .select_related("lead_agency", "decision")
        .prefetch_related("participants")
        .order_by("decision__position", "due_on", "id")
    )
    present = [a for a in attendance if a.present]
    absent = [a for a in attendance if a.present is False]
    return {
        "heading": heading(meeting),
        "committee": committee.name,
        "agency": committee.lead_agency.name,
        "facts": [
            (pgettext("meeting minutes", "Meeting"), meeting.title),
            (pgettext("meeting minutes", "Kind"), str(meeting.get_kind_display())),
            (pgettext("meeting minutes", "Time"), timezone.localtime(meeting.starts_at).strftime("%Y-%m-%d %H:%M")),
            (pgettext("meeting minutes", "Place"), meeting.place),
            (pgettext("meeting minutes", "Chaired by"), meeting.chaired_by or "—"),
        ],
        "attendees": [
            [
                a.agency.name,
                a.attendee or "—",
                pgettext("meeting minutes", "present")
                if a.present
                else (pgettext("meeting minutes", "absent") if a.present is False else "—"),
            ]
            for a in attendance
        ],
        "present_count": len(present),
        "absent_count": len(absent),
        "agenda": [[str(n), item.title, item.agency.name] for n, item in enumerate(agenda, start=1)],
        "minutes": meeting.minutes,
        "decisions": [[str(d.position), d.text] for d in decisions],
        "actions": [
            [
                str(a.decision.position) if a.decision_id else "—",
                a.title,
                a.lead_agency.name,
                "、".join(p.name for p in a.participants.all()) or "—",
                a.due_on.isoformat(),
            ]
            for a in actions
        ],
        "date": timezone.localtime(meeting.minutes_published_at or meeting.starts_at).date(),
        "headings": {
            "facts": pgettext("meeting minutes", "1. The meeting"),
            "attendees": pgettext("meeting minutes", "2. Attendance"),
            "agenda": pgettext("meeting minutes", "3. Agenda"),
            "minutes": pgettext("meeting minutes", "4. Minutes"),
            "decisions": pgettext("meeting minutes", "5. Decisions"),
            "actions": pgettext("meeting minutes", "6. Action items"),
        },
        "labels": {
            "agency": pgettext("meeting minutes", "Agency"),
            "attendee": pgettext("meeting minutes", "Attendee"),
            "present": pgettext("meeting minutes", "Present"),
            "no": pgettext("meeting minutes", "No."),
            "item": pgettext("meeting minutes", "Item"),
            "proposed_by": pgettext("meeting minutes", "Proposed by"),
            "decision": pgettext("meeting minutes", "Decision"),
            "action": pgettext("meeting minutes", "Action item"),
            "lead": pgettext("meeting minutes", "Lead agency"),
            "participants": pgettext("meeting minutes", "Participating agencies"),
            "due": pgettext("meeting minutes", "Due on"),
            "none": pgettext("meeting minutes", "None."),
        },
    }


def minutes_pdf(meeting: Meeting) -> bytes:
    with translation.override(settings.LANGUAGE_CODE):
        c = minutes_content(meeting)
        labels, headings = c["labels"], c["headings"]
        doc = PdfDocument(title=c["heading"], subject=c["committee"], author=c["agency"], header_text=c["committee"])
        doc.heading(c["heading"], level=1)
        doc.heading(headings["facts"], level=2)
        doc.key_values(c["facts"], label_width_mm=30)
        doc.heading(headings["attendees"], level=2)
        if c["attendees"]:
            doc.table(
                [labels["agency"], labels["attendee"], labels["present"]],
                c["attendees"],
                col_widths=[4, 4, 1.5],
                col_align=["left", "left", "center"],
            )
        else:
            doc.paragraph(labels["none"])
        doc.heading(headings["agenda"], level=2)
        if c["agenda"]:
            doc.table(
                [labels["no"], labels["item"], labels["proposed_by"]],
                c["agenda"],
                col_widths=[0.8, 6, 3],
                col_align=["center", "left", "left"],
            )
        else:
            doc.paragraph(labels["none"])
        doc.heading(headings["minutes"], level=2)
        for para in [p for p in (c["minutes"] or "").splitlines() if p.strip()] or [labels["none"]]:
            doc.paragraph(para)
        doc.heading(headings["decisions"], level=2)
        for number, text in c["decisions"] or []:
            doc.paragraph(f"{number}. {text}")
        if not c["decisions"]:
            doc.paragraph(labels["none"])
        doc.heading(headings["actions"], level=2)
        if c["actions"]:
            doc.table(
                [labels["decision"], labels["action"], labels["lead"], labels["participants"], labels["due"]],
                c["actions"],
                col_widths=[1.4, 3.8, 2.5, 2.5, 1.8],
                col_align=["center", "left", "left", "left", "center"],
            )
        else:
            doc.paragraph(labels["none"])
        doc.signature_block(c["agency"], c["date"])
        return doc.build()


def _font(run, name: str, *, size=None, bold: bool = False) -> None:
    from docx.oxml.ns import qn
    from docx.shared import Pt

    run.font.name = name
    rpr = run._element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = rpr.makeelement(qn("w:rFonts"), {})
        rpr.insert(0, fonts)
    fonts.set(qn("w:eastAsia"), name)
    if size:
        run.font.size = Pt(size)
    run.font.bold = bold


def minutes_docx(meeting: Meeting) -> bytes:
    import docx
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Pt

    with translation.override(settings.LANGUAGE_CODE):
        c = minutes_content(meeting)
        labels, headings = c["labels"], c["headings"]
        document = docx.Document()
        normal = document.styles["Normal"]
        normal.font.name = BODY_FONT
        normal.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), BODY_FONT)
        document.core_properties.title = c["heading"]
        document.core_properties.author = c["agency"]

        def para(text, *, font=BODY_FONT, size=14, bold=False, align=None, indent=True):
            p = document.add_paragraph()
            if align is not None:
                p.alignment = align
            if indent:
                p.paragraph_format.first_line_indent = Pt(size * 2)
            _font(p.add_run(text), font, size=size, bold=bold)
            return p

        def table(header, rows, *, columns=None):
            t = document.add_table(rows=1 if header else 0, cols=len(header) if header else columns)
            t.style = "Table Grid"
            if header:
                for cell, text in zip(t.rows[0].cells, header, strict=True):
                    cell.text = ""
                    _font(cell.paragraphs[0].add_run(str(text)), HEADING_FONT, size=11, bold=True)
            for row in rows:
                cells = t.add_row().cells
                for cell, text in zip(cells, row, strict=True):
                    cell.text = ""
                    _font(cell.paragraphs[0].add_run(str(text)), BODY_FONT, size=11)
            return t

        para(c["heading"], font=HEADING_FONT, size=22, bold=True, align=WD_ALIGN_PARAGRAPH.CENTER, indent=False)
        para(headings["facts"], font=HEADING_FONT, size=16, indent=False)
        table(None, c["facts"], columns=2)
        para(headings["attendees"], font=HEADING_FONT, size=16, indent=False)
        table([labels["agency"], labels["attendee"], labels["present"]], c["attendees"])
        para(headings["agenda"], font=HEADING_FONT, size=16, indent=False)
        table([labels["no"], labels["item"], labels["proposed_by"]], c["agenda"])
        para(headings["minutes"], font=HEADING_FONT, size=16, indent=False)
        for text in [p for p in (c["minutes"] or "").splitlines() if p.strip()] or [labels["none"]]:
            para(text)
        para(headings["decisions"], font=HEADING_FONT, size=16, indent=False)
        for number, text in c["decisions"] or []:
            para(f"{number}. {text}")
        if not c["decisions"]:
            para(labels["none"])
        para(headings["actions"], font=HEADING_FONT, size=16, indent=False)
        if c["actions"]:
            table(
                [labels["decision"], labels["action"], labels["lead"], labels["participants"], labels["due"]],
                c["actions"],
            )
        else:
            para(labels["none"])
        para(c["agency"], align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
        para(chinese_date(c["date"]), align=WD_ALIGN_PARAGRAPH.RIGHT, indent=False)
        buffer = BytesIO()
        document.save(buffer)
        return buffer.getvalue()


def file_name(meeting: Meeting, ext: str) -> str:
    with translation.override(settings.LANGUAGE_CODE):
        return f"{meeting.title}{_('minutes')}.{ext}".replace("/", "_")


def docx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=DOCX_TYPE)
    response["Content-Disposition"] = (
        f"attachment; filename=\"minutes.docx\"; filename*=UTF-8''{quote(filename, safe='')}"
    )
    response["Content-Length"] = str(len(data))
    response["Cache-Control"] = "private, no-store"
    return response
