"""The notice letter (告知书): what it says (page and PDF alike) and its PDF (fonts embedded, text extractable)."""

import datetime
import shutil
import subprocess

import pytest
from django.conf import settings

from incidents.prevention import letters, services
from incidents.prevention.models import NoticeLetter
from tests.prevention.conftest import insure, make_case

pytestmark = pytest.mark.django_db

SEED_DUTIES = (
    "一查（自纠自查）、二降（工伤事故发生总数和工伤事故发生率双下降）、三禁（禁止违章指挥、禁止违规作业、"
    "禁止违反劳动纪律）、四不放过（事故原因未查清不放过、事故责任人未受到处理不放过、事故责任人和周围群众没有受到"
    "教育不放过、事故没有制订切实可行的整改措施不放过）"
)


def _poppler(tool: str) -> str:
    path = shutil.which(tool)
    if path is None:
        pytest.fail(f"{tool} not found: install poppler-utils (apt-get install poppler-utils)")
    return path


def _issue(staff, region, enterprise, agency, *, posts=("冲压工", "冲压工", "装配工"), serious=False):
    for day, post in enumerate(posts, start=1):
        make_case(enterprise, agency, datetime.date(2025, 3, day), post=post)
    if serious:
        make_case(enterprise, agency, datetime.date(2025, 6, 1), severity="serious", post="焊工")
    insure(enterprise, agency, 2025, 100)
    services.default_rule(actor=staff, region=region)
    run = services.run_screening(actor=staff, region=region, kind="annual", window=services.annual_window(2025))
    services.issue_notices(actor=staff, run=run, issued_on=datetime.date(2026, 1, 15))
    return NoticeLetter.objects.get(run=run, enterprise=enterprise)


@pytest.fixture
def notice(users, regions, enterprise_a, agency_a, calendar):
    enterprise_a.address = "永康市东城街道九鼎路88号"
    enterprise_a.save()
    return _issue(users["staff_a"], regions["a"], enterprise_a, agency_a)


def test_content_names_enterprise_cases_posts_duties_and_the_holiday_shifted_deadline(notice, enterprise_a):
    content = letters.notice_content(notice)
    assert content["number"] == notice.number
    assert content["agency"] == notice.owner_agency.name
    assert content["enterprise"] == {
        "name": enterprise_a.name,
        "credit_code": enterprise_a.credit_code,
        "address": "永康市东城街道九鼎路88号",
    }
    assert [(c["number"], c["date"], c["post"], c["accident_type"]) for c in content["cases"]] == [
        (1, datetime.date(2025, 3, 1), "冲压工", "机械伤害"),
        (2, datetime.date(2025, 3, 2), "冲压工", "机械伤害"),
        (3, datetime.date(2025, 3, 3), "装配工", "机械伤害"),
    ]
    assert content["posts"] == [{"post": "冲压工", "cases": 2}, {"post": "装配工", "cases": 1}]
    assert content["duties_text"] == SEED_DUTIES
    assert [d["name"] for d in content["duties"]] == ["一查", "二降", "三禁", "四不放过"]
    assert SEED_DUTIES in content["requirement"]
    # issued 2026-01-15: one month on is 2026-02-15, in the Spring Festival holiday → the next working day
    assert content["deadline"] == datetime.date(2026, 2, 24)
    assert content["extended"] is False and content["original_deadline"] is None
    assert content["review_on"] == datetime.date(2026, 5, 15)
    assert content["portal_url"] == settings.PORTAL_BASE_URL.rstrip("/") + f"/prevention/notices/{notice.pk}/"
    assert content["portal_url"] in content["filing_text"]
    assert content["rule"]["version"] == 1 and content["rule"]["thresholds"]["min_cases"] == 3
    assert content["figures"]["cases"] == 3
    assert len(content["consequences"]) == 3


def test_content_masks_the_worker(notice):
    content = letters.notice_content(notice)
    case = services.notice_cases(notice).first()
    assert {c["worker"] for c in content["cases"]} == {"王*五"}
    flat = repr(content)
    assert case.worker_name not in flat  # 王小五
    assert case.worker_id_number not in flat


def test_content_shows_the_original_deadline_after_an_extension(notice, users):
    officer, staff = users["officer_a"], users["staff_a"]
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr("django.utils.timezone.localdate", lambda *a: datetime.date(2026, 2, 1))
        ext = services.request_extension(
            actor=officer, notice=notice, requested_date=datetime.date(2026, 3, 10), reason="设备改造需要时间"
        )
    services.decide_extension(actor=staff, extension=ext, grant=True, reason="同意")
    notice.refresh_from_db()
    content = letters.notice_content(notice)
    assert content["extended"] is True
    assert content["deadline"] == datetime.date(2026, 3, 10)
    assert content["original_deadline"] == datetime.date(2026, 2, 24)


def test_batch_content_equals_single_content_in_a_few_queries(
    notice, users, regions, enterprise_b, agency_b, django_assert_max_num_queries
):
    other = _issue(users["staff_b"], regions["b"], enterprise_b, agency_b, posts=("焊工", "焊工", "焊工", "电工"))
    with django_assert_max_num_queries(3):  # the notices with their results (and posts), each run's cases
        notices = letters._with_relations([notice, other])
        cases = letters._cases_of(notices)
        contents = [letters._content(n, cases[n.pk], n.result.high_incident_posts) for n in notices]
    assert [c["post"] for c in contents[1]["cases"]] == ["焊工", "焊工", "焊工", "电工"]
    assert [(p["post"], p["cases"]) for p in contents[1]["posts"]] == [("焊工", 3), ("电工", 1)]
    assert contents == [letters.notice_content(n) for n in notices]


def _pdf_text(path) -> str:
    return subprocess.run(
        [_poppler("pdftotext"), "-enc", "UTF-8", str(path), "-"], check=True, capture_output=True, text=True
    ).stdout


def test_pdf_embeds_the_chinese_fonts_and_its_text_extracts(notice, enterprise_a, tmp_path):
    data = letters.notice_pdf(notice)
    assert data.startswith(b"%PDF-")
    path = tmp_path / "notice.pdf"
    path.write_bytes(data)
    fonts = subprocess.run([_poppler("pdffonts"), str(path)], check=True, capture_output=True, text=True).stdout
    rows = fonts.splitlines()[2:]
    assert rows
    for row in rows:
        emb, sub, uni = row.split()[-5:-2]
        assert (emb, sub, uni) == ("yes", "yes", "yes"), row
    assert any("NotoSerifSC" in row for row in rows) and any("NotoSansSC" in row for row in rows)
    text = "".join(_pdf_text(path).split())  # pdftotext breaks lines where the PDF does
    assert enterprise_a.name in text
    assert "四不放过" in text
    assert "事故责任人和周围群众没有受到教育不放过" in text
    assert "王*五" in text and "王小五" not in text
    assert notice.number.replace(" ", "") in text
    assert "冲压工" in text and "装配工" in text


def test_pdf_is_the_same_bytes_for_the_same_notice(notice):
    assert letters.notice_pdf(notice) == letters.notice_pdf(notice)


def test_batch_pdfs_equal_single_pdfs(notice, users, regions, enterprise_b, agency_b, tmp_path):
    other = _issue(users["staff_b"], regions["b"], enterprise_b, agency_b, posts=("焊工", "焊工", "焊工"))
    out = list(letters.notice_pdfs([other, notice]))
    assert [n.pk for n, _pdf in out] == [other.pk, notice.pk]
    assert out[1][1] == letters.notice_pdf(notice)
    path = tmp_path / "other.pdf"
    path.write_bytes(out[0][1])
    text = "".join(_pdf_text(path).split())
    assert enterprise_b.name in text and "焊工" in text


def test_batch_pdfs_read_a_few_queries_per_chunk_not_per_letter(
    notice, users, regions, enterprise_b, agency_b, django_assert_max_num_queries
):
    other = _issue(users["staff_b"], regions["b"], enterprise_b, agency_b, posts=("焊工", "焊工", "焊工"))
    letters.notice_pdfs([notice])  # a generator: nothing read yet
    with django_assert_max_num_queries(10):  # per chunk: the notices, the cases of each run, the posts
        out = list(letters.notice_pdfs([notice, other, notice], chunk=2))
    assert [n.pk for n, _pdf in out] == [notice.pk, other.pk, notice.pk]
    assert out[0][1] == out[2][1]
