"""Uploaded files (attachments, stamped scans): the type is read from the content, must match the name's
extension and be one the portal accepts; the size is limited. Shared by the rectification reports, the agenda
items and the opinion solicitations."""

from __future__ import annotations

import hashlib
import zipfile

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALLOWED_ATTACHMENTS = {
    "application/pdf": (".pdf",),
    "image/png": (".png",),
    "image/jpeg": (".jpg", ".jpeg"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (".docx",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (".xlsx",),
    "application/vnd.openxmlformats-officedocument.presentationml.presentation": (".pptx",),
    "application/msword": (".doc",),
    "application/vnd.ms-excel": (".xls",),
}


def sniff_content_type(head: bytes, name: str, read_zip=None) -> str | None:
    """The type of a file by its first bytes (not by its name): PDF, PNG, JPEG, OOXML (docx/xlsx/pptx, a zip
    with the part that names its kind) or an OLE2 office file (doc/xls). None for anything else."""
    lower = name.lower()
    if head.startswith(b"%PDF-"):
        return "application/pdf"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if head.startswith(b"PK\x03\x04") and read_zip is not None:
        names = read_zip()
        if "[Content_Types].xml" in names:
            for part, kind in (
                ("word/", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
                ("xl/", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
                ("ppt/", "application/vnd.openxmlformats-officedocument.presentationml.presentation"),
            ):
                if any(n.startswith(part) for n in names):
                    return kind
        return None
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "application/vnd.ms-excel" if lower.endswith(".xls") else "application/msword"
    return None


def check_upload(upload, *, field: str, accepted=None) -> tuple[str, str, str]:
    """(name, content type, SHA-256) of an acceptable upload, else ValidationError on ``field``. ``accepted``: the
    content types allowed (default: every type of ``ALLOWED_ATTACHMENTS``)."""
    limit = settings.PREVENTION_ATTACHMENT_MAX_BYTES
    name = (upload.name or "").replace("\\", "/").rsplit("/", 1)[-1][:200]
    if upload.size > limit:
        raise ValidationError({field: _("The file is larger than %(mb)s MB.") % {"mb": limit // (1024 * 1024)}})
    upload.seek(0)
    head = upload.read(16)
    upload.seek(0)

    def zip_names():
        try:
            with zipfile.ZipFile(upload) as z:
                return z.namelist()
        except zipfile.BadZipFile:
            return []
        finally:
            upload.seek(0)

    kind = sniff_content_type(head, name, zip_names)
    allowed = accepted if accepted is not None else ALLOWED_ATTACHMENTS
    if kind is None or kind not in allowed or not name.lower().endswith(ALLOWED_ATTACHMENTS[kind]):
        if accepted is None:
            message = _(
                "Only PDF, PNG, JPEG and Word, Excel or PowerPoint files are accepted, and the file's content must "
                "match its name."
            )
        else:
            message = _(
                "Only PDF, PNG, JPEG, Word (.docx) and Excel (.xlsx) files are accepted, and the file's content "
                "must match its name."
            )
        raise ValidationError({field: message})
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return name, kind, digest.hexdigest()


def stored_name(sha256: str, kind: str) -> str:
    """The name a file is stored under: its digest's start and its type's extension (never the uploaded name)."""
    return f"{sha256[:16]}{ALLOWED_ATTACHMENTS[kind][0]}"
