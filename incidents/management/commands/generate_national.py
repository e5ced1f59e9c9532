"""``python manage.py generate_national``: a national-scale data set for benchmarks.

By default 1,000,000 enterprises on the towns and streets of the whole country and 10,000,000 work-injury cases
over the last nine years, plus occupational-disease cases (1 % as many) and safety accidents (about 2 %, each
linked to the case it caused), skewed as real data is:

- **towns**: Zipf–Mandelbrot weights over a random order in which the industrial provinces tend to come first, so
  that a tenth of the towns hold most enterprises and most cases;
- **industries**: enterprise counts by division (many shops and service firms, few mines), cases by employees ×
  the division's risk, so that metal products, machinery, construction, mining and road transport carry most;
- **time**: a slow decline year on year, fewer accidents at weekends and at night;
- **severity**: most minor, about 15 % serious, about 1 % fatal; disability grades for some recognised cases.

Every row is valid: credit codes and ID numbers with their check characters, the ID's birth date and sex on the
case, the accident type of the GB 6441 edition in force on the accident date, hire date before the accident,
recognition after it, the disease of the catalogue in force on the diagnosis date. ID numbers come from a pool
built once in Python (default one per ten cases, at least 100,000 and at most 1,000,000): each has a real Fernet
token and blind index, so every case decrypts and exact search by ID works; a worker of the pool has about
cases/pool cases, all with the same name, birth date and sex.

Loading: PostgreSQL gets ``COPY FROM STDIN``, with the loaded tables' secondary indexes and foreign keys dropped
for the load and recreated afterwards (faster than maintaining them row by row, see bench/README.md), all in one
transaction, so an error leaves the database as it was; then ANALYZE. Other databases get ``executemany`` in
batches (SQLite works, slowly at full scale). COPY sends no signals, so the statistics' summary tables are
brought up to date by their rebuild job (``analysis.rebuild``), queued when the data are committed (unless
``--no-statistics``; where Celery is eager the job runs at once, after the generator's own timings).

Generated enterprises carry ``GN`` as characters 9–10 of their credit code (the start of the organisation-code
body; 市场监管 issues ``MA…`` bodies to new registrations). A second run refuses while such enterprises exist;
``--replace`` first deletes them and every case, accident and insurance record about them. Member agencies the
command creates (人社, 卫健 and 应急 of each county that lacks one) are ordinary agencies and stay.
"""

from __future__ import annotations

import bisect
import contextlib
import datetime
import itertools
import random
import time
import zoneinfo
from dataclasses import dataclass

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DatabaseError, connection, models, transaction
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _

from enterprises.models import PLACE_FIELDS, Enterprise
from incidents.analysis.tasks import rebuild as rebuild_statistics_task
from incidents.models import InjuryCase, OccupationalDiseaseCase, SafetyAccident
from portal.accounts.models import Agency
from portal.crypto import blind_index, encrypt
from portal.reference.models import (
    AccidentType,
    AccidentTypeMapping,
    Industry,
    OccupationalDisease,
    Region,
    accident_grade,
    disease_catalogue_for,
    gb6441_edition_for,
    region_tiers,
)
from portal.reference.validators import CREDIT_CODE_CHARSET, build_credit_code, id_number_check_char

#: Characters 9–10 of every generated credit code: how ``--replace`` finds what an earlier run made.
MARKER = "GN"
NULL = "\\N"  # COPY's NULL; turned into None for executemany
BATCH = 10_000  # rows per executemany
COPY_CHUNK = 2_000  # rows per string handed to COPY

# --- how the data are skewed -----------------------------------------------------------------------------------

# Town weight 1 / (rank + offset) ** TOWN_ZIPF, offset = towns / TOWN_HEAD: a tenth of the country's towns hold about
# 70 % of the enterprises, and the busiest about 0.6 % (without the offset one town would hold 9 %).
TOWN_ZIPF = 1.0
TOWN_HEAD = 2000
CLASS_ZIPF = 1.0  # industry class weight within its division
# Provinces that come early in the town order (weights of a weighted shuffle; others 1): where most insured
# industrial workers are.
PROVINCE_WEIGHTS = {
    "44": 8, "33": 7, "32": 7, "35": 4, "37": 4, "31": 3, "34": 3, "41": 3, "51": 3,
    "42": 2.5, "43": 2.5, "13": 2, "12": 2, "11": 2, "36": 2, "45": 1.5, "50": 1.5, "61": 1.5, "14": 1.5,
}  # fmt: skip
# GB/T 4754-2017 divisions: (first, last, profile, enterprise-count weight of each division, injury risk).
DIVISIONS = [
    (1, 5, "agriculture", 0.6, 1.0),
    (6, 6, "mining", 0.5, 6.0),
    (7, 12, "mining", 0.25, 4.0),
    (13, 24, "manufacturing", 1.0, 1.2),
    (25, 26, "chemical", 1.2, 2.2),
    (27, 28, "chemical", 0.6, 1.3),
    (29, 29, "manufacturing", 1.5, 1.8),
    (30, 30, "manufacturing", 1.6, 2.6),
    (31, 32, "manufacturing", 0.5, 3.0),
    (33, 33, "manufacturing", 3.5, 3.4),
    (34, 35, "manufacturing", 2.2, 2.6),
    (36, 38, "manufacturing", 1.5, 2.0),
    (39, 40, "manufacturing", 1.2, 0.8),
    (41, 43, "manufacturing", 0.6, 1.5),
    (44, 46, "utilities", 0.4, 1.3),
    (47, 48, "construction", 3.0, 3.8),
    (49, 50, "construction", 2.0, 2.8),
    (51, 52, "trade", 8.0, 0.4),
    (53, 53, "transport", 0.1, 1.5),
    (54, 54, "transport", 2.5, 3.0),
    (55, 58, "transport", 0.3, 1.8),
    (59, 60, "transport", 1.0, 1.8),
    (61, 62, "services", 2.0, 0.6),
    (63, 69, "services", 0.8, 0.1),
    (70, 72, "services", 2.5, 0.4),
    (73, 75, "services", 1.0, 0.2),
    (76, 82, "services", 0.8, 0.9),
    (83, 97, "services", 0.3, 0.2),
]
# Enterprise sizes (工信部联企业〔2011〕300号): (scale, weight in heavy industries, weight elsewhere).
SCALES = [("micro", 35, 66), ("small", 50, 30), ("medium", 12, 3.5), ("large", 3, 0.5)]
HEAVY = {"mining", "manufacturing", "chemical", "construction", "transport", "utilities"}
P_FATAL, P_SERIOUS = 0.012, 0.15  # the rest are minor
P_ACCIDENT = {"fatal": 0.8, "serious": 0.08, "minor": 0.003}  # a case that is also a reported safety accident
DISEASE_SHARE = 0.01  # occupational-disease cases per work-injury case
GRADE_WEIGHTS = [1, 1, 2, 3, 5, 8, 12, 18, 25, 25]  # disability grades 1–10 of serious recognised cases
MALE_SHARE = 0.78
YEARLY_DECLINE = 0.03
WEEKDAY_FACTOR = [1.0, 1.0, 1.0, 1.0, 0.95, 0.75, 0.6]  # Monday … Sunday
HOUR_FACTOR = [0.2, 0.15, 0.15, 0.15, 0.2, 0.3, 0.5, 0.9, 1.2, 1.4, 1.4, 1.2, 0.6, 0.9, 1.2, 1.3, 1.2, 1.0, 0.6]
HOUR_FACTOR += [0.5, 0.45, 0.4, 0.3, 0.25]  # 19:00 … 23:00

# Accident types (GB/T 6441-1986 codes with weights), posts and places by kind of work, after the national
# statistics. The 2025 types are the legacy map's default successors, except where ``TYPES_2025`` says better.
PROFILES = {
    "manufacturing": (
        {"03": 40, "01": 18, "09": 6, "04": 6, "07": 7, "02": 5, "05": 3, "20": 15},
        ["冲压工", "车工", "焊工", "装配工", "铸造工", "打磨工", "叉车司机", "切割工", "机修工", "操作工"],
        ["生产车间", "冲压车间", "装配线", "仓库", "厂区道路", "铸造车间"],
    ),
    "chemical": (
        {"19": 15, "07": 15, "08": 6, "17": 4, "18": 4, "03": 20, "01": 12, "09": 8, "20": 16},
        ["操作工", "巡检工", "维修工", "装卸工", "化验员"],
        ["反应釜区", "罐区", "生产装置", "仓库", "装卸站台"],
    ),
    "construction": (
        {"09": 35, "01": 18, "10": 8, "04": 8, "03": 8, "05": 6, "02": 5, "20": 12},
        ["架子工", "钢筋工", "泥瓦工", "木工", "塔吊司机", "电工", "焊工", "普工"],
        ["施工现场", "脚手架", "基坑", "楼层作业面", "塔吊作业区"],
    ),
    "mining": (
        {"11": 22, "02": 12, "03": 12, "01": 12, "12": 4, "13": 6, "15": 3, "09": 6, "19": 5, "20": 18},
        ["采掘工", "支护工", "爆破工", "运输工", "通风工", "机电工"],
        ["采掘工作面", "巷道", "井下运输线", "露天采场", "选矿车间"],
    ),
    "transport": (
        {"02": 65, "01": 10, "09": 5, "04": 5, "20": 15},
        ["货车司机", "客车司机", "装卸工", "押运员", "快递员"],
        ["道路", "停车场", "装卸区", "货运站场"],
    ),
    "utilities": (
        {"05": 30, "09": 20, "01": 10, "03": 10, "19": 5, "20": 25},
        ["电工", "线路工", "巡检工", "维修工", "管道工"],
        ["变电站", "输电线路", "泵站", "管网作业点"],
    ),
    "trade": (
        {"20": 30, "01": 18, "09": 10, "02": 20, "03": 10, "07": 4, "05": 3, "06": 1, "08": 4},
        ["理货员", "仓管员", "搬运工", "配送员", "营业员"],
        ["仓库", "卖场", "装卸区", "配送途中"],
    ),
    "services": (
        {"20": 35, "01": 15, "09": 10, "02": 15, "03": 10, "07": 8, "05": 4, "06": 1, "08": 2},
        ["厨师", "保洁员", "保安", "维修工", "服务员", "配送员"],
        ["厨房", "楼宇", "经营场所", "工作途中"],
    ),
    "agriculture": (
        {"03": 25, "02": 15, "01": 15, "09": 10, "06": 5, "20": 30},
        ["农机手", "养殖工", "伐木工", "渔工"],
        ["田间", "养殖场", "林区", "作业船"],
    ),
}
TYPES_2025 = {"transport": {"02": "WSA10003"}}  # road vehicles: 道路（轨道）车辆致害
CAUSES = ["违章操作", "防护装置缺失", "未佩戴劳动防护用品", "设备故障", "安全培训不足", "现场管理混乱", "疲劳作业"]


# Occupational diseases by profile (coal: division 06): (catalogue name, weight, hazard factor, diagnosis wordings).
def _stages(name: str) -> tuple[str, ...]:
    return tuple(f"{name}{stage}" for stage in ("壹期", "贰期", "叁期"))


_NOISE = ("职业性轻度噪声聋", "职业性中度噪声聋", "职业性重度噪声聋")
_BENZENE = ("职业性慢性轻度苯中毒", "职业性慢性中度苯中毒")
_LEAD = ("铅及其化合物中毒（不包括四乙基铅）", 6, "铅", ("职业性慢性轻度铅中毒",))
DISEASES = {
    "coal": [
        ("煤工尘肺", 70, "煤尘", _stages("煤工尘肺")),
        ("矽肺", 20, "矽尘", _stages("矽肺")),
        ("噪声聋", 10, "噪声", _NOISE),
    ],
    "mining": [("矽肺", 80, "矽尘", _stages("矽肺")), ("噪声聋", 20, "噪声", _NOISE)],
    "manufacturing": [
        ("矽肺", 25, "矽尘", _stages("矽肺")),
        ("电焊工尘肺", 20, "电焊烟尘", _stages("电焊工尘肺")),
        ("噪声聋", 35, "噪声", _NOISE),
        ("手臂振动病", 8, "手传振动", ("职业性手臂振动病",)),
        _LEAD,
        ("苯中毒", 6, "苯", _BENZENE),
    ],
    "chemical": [
        ("苯中毒", 25, "苯", _BENZENE),
        ("甲苯中毒", 10, "甲苯", ("职业性急性轻度甲苯中毒",)),
        ("二甲苯中毒", 10, "二甲苯", ("职业性急性轻度二甲苯中毒",)),
        ("噪声聋", 25, "噪声", _NOISE),
        ("矽肺", 20, "矽尘", _stages("矽肺")),
        _LEAD,
    ],
    "construction": [
        ("矽肺", 40, "矽尘", _stages("矽肺")),
        ("水泥尘肺", 20, "水泥粉尘", _stages("水泥尘肺")),
        ("电焊工尘肺", 15, "电焊烟尘", _stages("电焊工尘肺")),
        ("噪声聋", 25, "噪声", _NOISE),
    ],
}
AGENCY_KINDS = {"hrss": "人力资源和社会保障局", "health": "卫生健康局", "emergency": "应急管理局"}

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程魏苏吕丁任沈姚卢"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超秀霞平刚建国志华春红玉兰英海斌波鹏辉宇浩凯健亮林峰飞鑫雪婷琳晨阳"
BRAND = "恒华金永宏鑫精顺联博天富达盛兴源创远成力康泰隆昌祥瑞丰利通信佳美德新宝安"
ROADS = ["工业路", "创业大道", "人民路", "解放路", "建设路", "开发大道", "滨江路", "科技路", "园区路", "兴业街"]


def _division_info(division: int) -> tuple[str, float, float]:
    for first, last, profile, share, risk in DIVISIONS:
        if first <= division <= last:
            return profile, share, risk
    return "services", 0.3, 0.2


def generated_enterprises():
    """The enterprises an earlier run of this command made (characters 9–10 of the credit code are ``GN``)."""
    return Enterprise.objects.annotate(_marker=Substr("credit_code", 9, 2)).filter(_marker=MARKER)


def _serial(n: int) -> str:
    """Six characters of the credit-code alphabet for ``n`` (0 ≤ n < 31**6 = 887,503,681)."""
    chars = []
    for _i in range(6):
        n, r = divmod(n, 31)
        chars.append(CREDIT_CODE_CHARSET[r])
    return "".join(reversed(chars))


def _unserial(text: str) -> int:
    n = 0
    for c in text:
        n = n * 31 + CREDIT_CODE_CHARSET.index(c)
    return n


def _cumulative(weights) -> list[float]:
    return list(itertools.accumulate(weights))


def _pick(rng_random, cum: list[float]):
    """Index of a weighted choice over cumulative weights."""
    return bisect.bisect(cum, rng_random() * cum[-1])


@dataclass
class Place:
    """A town (or a county without towns) where enterprises are: its owner region's agencies own the records."""

    region_id: int
    name: str
    owner_region_id: int
    province: str


class Command(BaseCommand):
    help = (
        "Generate a national-scale data set for benchmarks: enterprises, work-injury cases over several years, "
        "occupational-disease cases and safety accidents, skewed like real data (PostgreSQL: COPY)."
    )

    def add_arguments(self, parser):
        parser.add_argument("--enterprises", type=int, default=1_000_000, help="default 1,000,000")
        parser.add_argument("--cases", type=int, default=10_000_000, help="work-injury cases, default 10,000,000")
        parser.add_argument(
            "--region", default="", help="code of a province, city or county (default: the whole country)"
        )
        parser.add_argument("--years", type=int, default=9, help="years of cases up to yesterday (default 9)")
        parser.add_argument("--seed", type=int, default=20260101, help="random seed (same seed, same data)")
        parser.add_argument(
            "--id-pool", type=int, default=None, help="distinct workers (ID numbers); default cases/10, 100k–1M"
        )
        parser.add_argument(
            "--replace", action="store_true", help="delete the data of an earlier run first (only what it made)"
        )
        parser.add_argument(
            "--no-statistics",
            action="store_true",
            help="do not queue the rebuild of the statistics summary tables (analysis.rebuild) after the commit",
        )
        parser.add_argument(
            "--keep-indexes",
            action="store_true",
            help="PostgreSQL: load with indexes and foreign keys in place instead of recreating them afterwards",
        )

    def handle(self, *args, **options):
        started = time.perf_counter()
        n_enterprises, n_cases, years = options["enterprises"], options["cases"], options["years"]
        minimums = (("--enterprises", n_enterprises, 1), ("--cases", n_cases, 0), ("--years", years, 1))
        for option, value, minimum in minimums:
            if value < minimum:
                raise CommandError(
                    _("%(option)s must be at least %(minimum)s.") % {"option": option, "minimum": minimum}
                )
        if n_enterprises >= 31**6:
            raise CommandError(
                _("%(option)s must be at most %(maximum)s.") % {"option": "--enterprises", "maximum": 31**6 - 1}
            )
        pool = options["id_pool"] or min(n_cases, max(100_000, n_cases // 10), 1_000_000)
        pool = max(1, pool)
        self.stats: dict[str, tuple[int, float]] = {}
        self.truncated: list = []
        self.postgres = connection.vendor == "postgresql"
        data = NationalData(seed=options["seed"], years=years, region=options["region"], postgres=self.postgres)
        with transaction.atomic():
            if self.postgres:
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL work_mem = '256MB'")
                    cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
            existing = generated_enterprises().count()
            if existing and not options["replace"]:
                raise CommandError(
                    _(
                        "Generated data already exist: %(count)s enterprises whose credit codes have “GN” as "
                        "characters 9–10. Run the command again with --replace to delete them and everything recorded "
                        "about them, and generate anew."
                    )
                    % {"count": f"{existing:,}"}
                )
            if existing:
                self.delete_generated()
            data.load_scope()
            data.ensure_agencies()
            if self.postgres:
                connection.check_constraints()  # fire pending deferred checks now: ALTER TABLE refuses them
            tables = [m._meta.db_table for m in (Enterprise, InjuryCase, OccupationalDiseaseCase, SafetyAccident)]
            rebuild = self.postgres and not options["keep_indexes"]
            with self.without_indexes(tables) if rebuild else contextlib.nullcontext():
                self.load(
                    Enterprise, ENTERPRISE_FIELDS, data.enterprise_rows(n_enterprises), n_enterprises, "enterprises"
                )
                data.read_back_enterprises()
                t = time.perf_counter()
                data.build_pool(pool)
                self.report(_("ID numbers (encrypted, with blind index)"), pool, time.perf_counter() - t, "pool")
                data.prepare_tiers()  # a query: not while a COPY is in progress
                self.load(InjuryCase, CASE_FIELDS, data.case_rows(n_cases), n_cases, "injury_cases")
                n_diseases = round(n_cases * DISEASE_SHARE)
                self.load(
                    OccupationalDiseaseCase, DISEASE_FIELDS, data.disease_rows(n_diseases), n_diseases, "disease_cases"
                )
                data.first_accident_id = (SafetyAccident.objects.aggregate(last=models.Max("pk"))["last"] or 0) + 1
                self.load(SafetyAccident, ACCIDENT_FIELDS, iter(data.accidents), len(data.accidents), "accidents")
            t = time.perf_counter()
            links = self.link_accidents(data.first_accident_id)
            self.report(_("links from accidents to their cases"), links, time.perf_counter() - t, "links")
            t = time.perf_counter()
            with connection.cursor() as cursor:
                for table in [*tables, SafetyAccident.injury_cases.through._meta.db_table]:
                    cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
            self.stats["analyze"] = (0, time.perf_counter() - t)
            if not options["no_statistics"]:
                # COPY sends no signals: the statistics' summary tables learn of the data from their rebuild job
                # (which runs right here, after the commit, where Celery is eager).
                transaction.on_commit(rebuild_statistics_task.delay)
            total = time.perf_counter() - started
        if not options["no_statistics"]:
            self.stdout.write(_("Queued the rebuild of the statistics summary tables (job analysis.rebuild)."))
        self.stats["total"] = (0, total)
        self.stdout.write(
            self.style.SUCCESS(
                _(
                    "Generated %(enterprises)s enterprises, %(cases)s work-injury cases, %(diseases)s "
                    "occupational-disease cases and %(accidents)s safety accidents in %(region)s over %(years)s years "
                    "in %(seconds)s s."
                )
                % {
                    "enterprises": f"{n_enterprises:,}",
                    "cases": f"{n_cases:,}",
                    "diseases": f"{n_diseases:,}",
                    "accidents": f"{len(data.accidents):,}",
                    "region": data.scope_name,
                    "years": years,
                    "seconds": f"{total:,.1f}",
                }
            )
        )

    # --- output ------------------------------------------------------------------------------------------------

    def report(self, what, rows: int, seconds: float, key: str) -> None:
        self.stats[key] = (rows, seconds)
        self.stdout.write(
            _("%(what)s: %(rows)s in %(seconds)s s (%(rate)s rows/s)")
            % {
                "what": what,
                "rows": f"{rows:,}",
                "seconds": f"{seconds:,.1f}",
                "rate": f"{rows / max(seconds, 1e-9):,.0f}",
            }
        )

    def progress(self, rows, total: int, what, started: float):
        """Pass ``rows`` through, printing how far the load is about every tenth (at most every 1,000,000 rows)."""
        step = max(10_000, min(1_000_000, total // 10))
        done = 0
        for row in rows:
            yield row
            done += 1
            if done % step == 0 and total - done >= step // 2:
                seconds = time.perf_counter() - started
                self.stdout.write(
                    "  "
                    + _("%(what)s: %(done)s of %(total)s (%(percent)s %%), %(rate)s rows/s")
                    % {
                        "what": what,
                        "done": f"{done:,}",
                        "total": f"{total:,}",
                        "percent": f"{100 * done / total:.0f}",
                        "rate": f"{done / max(seconds, 1e-9):,.0f}",
                    }
                )
                self.stdout.flush()

    # --- loading -----------------------------------------------------------------------------------------------

    def load(self, model, fields: list[str], rows, total: int, key: str) -> None:
        what = model._meta.verbose_name_plural
        started = time.perf_counter()
        rows = self.progress(rows, total, what, started)
        columns = [model._meta.get_field(name).column for name in fields]
        if self.postgres:
            _copy(model._meta.db_table, columns, rows)
        else:
            _executemany(model._meta.db_table, columns, rows)
        self.report(what, total, time.perf_counter() - started, key)

    @contextlib.contextmanager
    def without_indexes(self, tables: list[str]):
        """PostgreSQL: drop the secondary indexes and foreign keys of ``tables`` for the load, recreate them after
        with the same names and definitions (inside the caller's transaction: an error restores them)."""
        saved = []
        with connection.cursor() as cursor:
            for table in tables:
                cursor.execute(
                    "SELECT quote_ident(conname), pg_get_constraintdef(oid) FROM pg_constraint "
                    "WHERE conrelid = %s::regclass AND contype = 'f' ORDER BY conname",
                    [table],
                )
                foreign_keys = cursor.fetchall()
                cursor.execute(
                    "SELECT quote_ident(n.nspname) || '.' || quote_ident(i.relname), pg_get_indexdef(x.indexrelid) "
                    "FROM pg_index x JOIN pg_class i ON i.oid = x.indexrelid "
                    "JOIN pg_namespace n ON n.oid = i.relnamespace "
                    "WHERE x.indrelid = %s::regclass AND NOT x.indisprimary "
                    "AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = x.indexrelid "
                    "AND c.conrelid = x.indrelid) ORDER BY i.relname",
                    [table],
                )
                indexes = cursor.fetchall()
                quoted = connection.ops.quote_name(table)
                for name, _definition in foreign_keys:
                    cursor.execute(f"ALTER TABLE {quoted} DROP CONSTRAINT {name}")
                for name, _definition in indexes:
                    cursor.execute(f"DROP INDEX {name}")
                saved.append((quoted, foreign_keys, indexes))
        yield
        started = time.perf_counter()
        with connection.cursor() as cursor:
            for quoted, foreign_keys, indexes in saved:
                for _name, definition in indexes:
                    cursor.execute(definition)
                for name, definition in foreign_keys:
                    cursor.execute(f"ALTER TABLE {quoted} ADD CONSTRAINT {name} {definition}")
        seconds = time.perf_counter() - started
        count = sum(len(fks) + len(idx) for _q, fks, idx in saved)
        self.stats["indexes"] = (count, seconds)
        self.stdout.write(
            _("%(count)s indexes and foreign keys recreated in %(seconds)s s")
            % {"count": count, "seconds": f"{seconds:,.1f}"}
        )

    def link_accidents(self, first_accident_id: int) -> int:
        """Each generated accident → the case it was made from (same enterprise and time), in one statement."""
        through = SafetyAccident.injury_cases.through
        qn = connection.ops.quote_name
        accident_fk = qn(through._meta.get_field("safetyaccident").column)
        case_fk = qn(through._meta.get_field("injurycase").column)
        with connection.cursor() as cursor:
            sql = (
                f"INSERT INTO {qn(through._meta.db_table)} ({accident_fk}, {case_fk}) "  # noqa: S608 - quoted names
                f"SELECT a.id, c.id FROM {qn(SafetyAccident._meta.db_table)} a "
                f"JOIN {qn(InjuryCase._meta.db_table)} c ON c.enterprise_id = a.enterprise_id "
                "AND c.occurred_at = a.occurred_at WHERE a.id >= %s"
            )
            cursor.execute(sql, [first_accident_id])
            return cursor.rowcount

    def truncate_incidents(self, generated, models_) -> bool:
        """PostgreSQL: if every case and accident belongs to a generated enterprise, empty the incident tables
        with one TRUNCATE (seconds instead of minutes of DELETE at 10 M rows). False if not possible."""
        self.truncated = []
        for model in models_[1:]:
            if model.objects.exclude(enterprise__in=generated).exists():
                return False
        tables = ", ".join(connection.ops.quote_name(m._meta.db_table) for m in models_)
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute(f"TRUNCATE {tables}")
        except DatabaseError:  # another table refers to one of them: DELETE instead
            return False
        self.truncated = models_
        return True

    def delete_generated(self) -> None:
        """Delete the generated enterprises and what is recorded about them, with one DELETE per table (no
        per-row signals or audit: it is benchmark data). Anything else that still refers to them stops it."""
        started = time.perf_counter()
        generated = generated_enterprises().values("pk")
        through = SafetyAccident.injury_cases.through
        deleted = {}
        incidents = (SafetyAccident, OccupationalDiseaseCase, InjuryCase)
        if not (self.postgres and self.truncate_incidents(generated, [through, *incidents])):
            for qs in (
                through.objects.filter(
                    models.Q(safetyaccident__enterprise__in=generated) | models.Q(injurycase__enterprise__in=generated)
                ),
                *(model.objects.filter(enterprise__in=generated) for model in incidents),
            ):
                deleted[qs.model._meta.verbose_name_plural] = qs._raw_delete(qs.db)
        handled = {SafetyAccident, OccupationalDiseaseCase, InjuryCase}
        blocking = []
        for relation in Enterprise._meta.related_objects:
            model = relation.related_model
            if model in handled or relation.many_to_many:
                continue
            related = model._base_manager.filter(**{f"{relation.field.name}__in": generated})
            if relation.on_delete is models.CASCADE:
                deleted[model._meta.verbose_name_plural] = related._raw_delete(related.db)
            elif relation.on_delete is models.SET_NULL:
                related.update(**{relation.field.name: None})
            elif related.exists():
                blocking.append(f"{model._meta.verbose_name_plural} ({related.count():,})")
        if blocking:
            raise CommandError(
                _("The generated enterprises cannot be deleted: %(records)s still refer to them. Delete those first.")
                % {"records": ", ".join(str(b) for b in blocking)}
            )
        enterprises = generated_enterprises()
        deleted[Enterprise._meta.verbose_name_plural] = enterprises._raw_delete(enterprises.db)
        if self.postgres:
            connection.check_constraints()  # a reference we did not know of fails here, not at the very end
        summary = ", ".join(f"{what} {count:,}" for what, count in deleted.items() if count)
        if self.truncated:
            summary = ", ".join([*(str(m._meta.verbose_name_plural) for m in self.truncated[1:]), summary])
        self.stdout.write(
            _("Deleted the data of an earlier run in %(seconds)s s: %(summary)s")
            % {"seconds": f"{time.perf_counter() - started:,.1f}", "summary": summary}
        )


# --- the rows --------------------------------------------------------------------------------------------------

ENTERPRISE_FIELDS = [
    "credit_code", "name", "region", "industry", "address", "scale", "employees", "legal_representative",
    "safety_contact_name", "safety_contact_phone", "status", "owner_agency", "created_at", "updated_at",
]  # fmt: skip
WORKER_FIELDS = ["worker_name", "worker_id_number", "worker_id_hash", "sex", "birth_date"]
CASE_FIELDS = [
    "owner_agency", "created_at", "updated_at", "enterprise", "occurred_at", "place", "accident_type", "cause", "post",
    "hire_date", "severity", "lost_workdays", "recognized_on", "disability_grade", "fund_payout", *WORKER_FIELDS,
    *PLACE_FIELDS,
]  # fmt: skip
DISEASE_FIELDS = [
    "owner_agency", "created_at", "updated_at", "enterprise", "disease", "diagnosis", "hazard_factor",
    "exposure_start", "exposure_years", "diagnosed_on", "diagnosing_institution", *WORKER_FIELDS, *PLACE_FIELDS,
]  # fmt: skip
ACCIDENT_FIELDS = [
    "owner_agency", "created_at", "updated_at", "occurred_at", "enterprise", "place", "accident_type", "summary",
    "deaths", "serious_injuries", "minor_injuries", "direct_loss", "grade", *PLACE_FIELDS,
]  # fmt: skip


class NationalData:
    """The generator: reference data in memory, weighted choices, and row tuples of strings (``NULL`` for NULL)
    in the column order of the ``*_FIELDS`` lists above. Deterministic for a seed."""

    def __init__(self, *, seed: int, years: int, region: str, postgres: bool):
        self.rng = random.Random(seed)  # noqa: S311 - benchmark data, not secrets
        self.region_code = region
        self.tz_suffix = "+00" if postgres else ""  # SQLite stores naive UTC, as Django does
        self.today = timezone.localdate()
        last = self.today - datetime.timedelta(days=1)
        try:
            first = self.today.replace(year=self.today.year - years)
        except ValueError:  # 29 February
            first = self.today.replace(year=self.today.year - years, day=28)
        self.first_ord, self.last_ord = first.toordinal(), last.toordinal()
        self.base_ord = datetime.date(self.today.year - years - 80, 1, 1).toordinal()  # oldest birth date
        self.iso = [datetime.date.fromordinal(o).isoformat() for o in range(self.base_ord, self.today.toordinal() + 2)]
        self.now = timezone.now().astimezone(datetime.UTC).strftime("%Y-%m-%d %H:%M:%S") + self.tz_suffix
        tz = zoneinfo.ZoneInfo(settings.TIME_ZONE)
        # Minutes east of UTC of each local day of the period (for the local → UTC conversion of each row).
        self.offset = {}
        for o in range(self.first_ord - 1, self.today.toordinal() + 1):
            noon = datetime.datetime.combine(datetime.date.fromordinal(o), datetime.time(12), tz)
            self.offset[o] = int(noon.utcoffset().total_seconds() // 60)
        self.hhmm = [f" {m // 60:02d}:{m % 60:02d}:" for m in range(1440)]
        self.seconds = [f"{s:02d}{self.tz_suffix}" for s in range(60)]
        minute_weights = [HOUR_FACTOR[m // 60] for m in range(1440)]
        self.minute_cum = _cumulative(minute_weights)
        self.accidents: list[tuple] = []
        self.first_accident_id = 0

    # --- reference data and agencies -----------------------------------------------------------------------------

    def load_scope(self) -> None:
        regions = Region.objects.filter(is_active=True)
        if self.region_code:
            root = Region.objects.filter(code=self.region_code).first()
            if root is None:
                raise CommandError(
                    _(
                        "Region %(code)s does not exist. Run `python manage.py load_reference` first, or give the "
                        "code of a province, city or county."
                    )
                    % {"code": self.region_code}
                )
            regions = regions.filter(path__startswith=root.path)
            self.scope_name = root.name
        else:
            self.scope_name = _("the whole country")
        places = [
            Place(pk, name, parent_id, path.split("/")[1][:2])
            for pk, name, parent_id, path in regions.filter(level="town").values_list("id", "name", "parent_id", "path")
        ]
        if not places:  # a county without towns (or a scope of one)
            places = [
                Place(pk, name, pk, path.split("/")[1][:2])
                for pk, name, path in regions.filter(level__in=("county", "zone")).values_list("id", "name", "path")
            ]
        if not places:
            raise CommandError(
                _("There are no towns, streets or counties in %(region)s. Run `python manage.py load_reference` first.")
                % {"region": self.scope_name}
            )
        places.sort(key=lambda p: p.region_id)
        self.places = places
        self.owner_regions = {
            pk: (code, name, level)
            for pk, code, name, level in Region.objects.filter(id__in={p.owner_region_id for p in places}).values_list(
                "id", "code", "name", "level"
            )
        }
        self.province_names = dict(Region.objects.filter(level="province").values_list("code", "name"))

        # Town weights: Zipf over a weighted shuffle (Efraimidis–Spirakis keys) favouring industrial provinces.
        rng = self.rng
        keys = [rng.random() ** (1 / PROVINCE_WEIGHTS.get(p.province, 1)) for p in places]
        order = sorted(range(len(places)), key=keys.__getitem__, reverse=True)
        weights = [0.0] * len(places)
        offset = 1 + len(places) / TOWN_HEAD
        for rank, index in enumerate(order):
            weights[index] = 1 / (rank + offset) ** TOWN_ZIPF
        self.place_cum = _cumulative(weights)

        # Industry classes: each division's weight spread over its classes by Zipf over a shuffle.
        classes = list(Industry.objects.filter(level="class").order_by("code").values_list("id", "code", "name"))
        if not classes:
            raise CommandError(_missing(Industry))
        by_division: dict[int, list] = {}
        for row in classes:
            by_division.setdefault(int(row[1][:2]), []).append(row)
        self.classes, class_weights = [], []
        for division, rows in sorted(by_division.items()):
            profile, share, risk = _division_info(division)
            rng.shuffle(rows)
            zipf = [1 / (k + 1) ** CLASS_ZIPF for k in range(len(rows))]
            for (pk, code, name), z in zip(rows, zipf, strict=True):
                self.classes.append((pk, code, _trade(name, profile), profile, risk, division))
                class_weights.append(share * z / sum(zipf))
        self.class_cum = _cumulative(class_weights)

        # Accident types by profile and edition.
        types = {(t.edition, t.code): t for t in AccidentType.objects.filter(kind="type")}
        if not types:
            raise CommandError(_missing(AccidentType))
        successor = dict(AccidentTypeMapping.objects.filter(is_default=True).values_list("old__code", "new__code"))
        self.profiles = {}
        for profile, (mix, posts, places_) in PROFILES.items():
            by_edition = {}
            for edition in (1986, 2025):
                ids, names = [], []
                for code in mix:
                    if edition == 2025:
                        code = TYPES_2025.get(profile, {}).get(code) or successor.get(code, "WSA10099")
                    accident_type = types.get((edition, code))
                    if accident_type is None:
                        raise CommandError(_missing(AccidentType))
                    ids.append(str(accident_type.pk))
                    names.append(accident_type.name)
                by_edition[edition] = (ids, names)
            self.profiles[profile] = (by_edition, _cumulative(mix.values()), posts, places_)
        self.profile_index = {name: i for i, name in enumerate(PROFILES)}

        # Occupational diseases by catalogue and name.
        self.diseases = {
            (version, name): pk
            for pk, version, name in OccupationalDisease.objects.values_list("id", "catalogue_version", "name")
        }
        self.diagnosis_tokens: dict[str, str] = {}
        counties = Region.objects.filter(level="county", is_functional_zone=False, is_custom=False)
        self.county_codes = sorted(counties.values_list("code", flat=True))
        if not self.county_codes:
            raise CommandError(_missing(Region))

    def ensure_agencies(self) -> None:
        """人社 (cases), 卫健 (diseases) and 应急 (accidents) of every county (or city without counties) in scope:
        the first existing agency of that kind, else a new one."""
        ids = list(self.owner_regions)
        self.agencies: dict[str, dict[int, int]] = {kind: {} for kind in AGENCY_KINDS}
        taken = set()
        for pk, region_id, kind, name in (
            Agency.objects.filter(region_id__in=ids).order_by("pk").values_list("pk", "region_id", "kind", "name")
        ):
            taken.add((region_id, name))
            if kind in self.agencies:
                self.agencies[kind].setdefault(region_id, pk)
        new = []
        for region_id, (_code, name, level) in self.owner_regions.items():
            for kind, suffix in AGENCY_KINDS.items():
                if region_id in self.agencies[kind]:
                    continue
                agency_name = f"{name}{suffix}"
                if (region_id, agency_name) in taken:
                    agency_name = f"{agency_name}（{kind}）"
                new.append(
                    Agency(
                        name=agency_name,
                        kind=kind,
                        level="city" if level == "city" else "county",
                        region_id=region_id,
                        is_lead=kind == "hrss",
                    )
                )
        for agency in Agency.objects.bulk_create(new, batch_size=1000):
            self.agencies[agency.kind][agency.region_id] = agency.pk
        self.agency_str = {kind: {r: str(a) for r, a in by_region.items()} for kind, by_region in self.agencies.items()}

    # --- enterprises ---------------------------------------------------------------------------------------------

    def enterprise_rows(self, n: int):
        rng = self.rng
        random_ = rng.random
        places, place_cum = self.places, self.place_cum
        classes, class_cum = self.classes, self.class_cum
        hrss = self.agency_str["hrss"]
        heavy_cum = _cumulative(s[1] for s in SCALES)
        light_cum = _cumulative(s[2] for s in SCALES)
        # When the record was entered: during the first year of the period, at 10:00 local time.
        created = [self._utc(o, 600) for o in range(self.first_ord, self.first_ord + 365)]
        # Per enterprise, for the cases: place index, class index, case weight.
        self.ent_place, self.ent_class, ent_weight = [], [], []
        statuses = (["operating"] * 94) + ["suspended"] * 3 + ["closed"] * 3
        for i in range(n):
            p = _pick(random_, place_cum)
            c = _pick(random_, class_cum)
            place = places[p]
            _pk, _code, trade, profile, risk, _division = classes[c]
            heavy = profile in HEAVY
            scale = SCALES[_pick(random_, heavy_cum if heavy else light_cum)][0]
            if scale == "micro":
                employees = 2 + int(18 * random_())
            elif scale == "small":
                employees = int(20 * 15 ** random_())
            elif scale == "medium":
                employees = int(300 * 3.3 ** random_())
            else:
                employees = min(50_000, int(1000 * (1 - random_()) ** -0.6))
            self.ent_place.append(p)
            self.ent_class.append(c)
            ent_weight.append(employees**0.85 * risk)
            region_code, county_name, _level = self.owner_regions[place.owner_region_id]
            short = county_name[:-1] if len(county_name) > 2 and county_name[-1] in "市县区旗" else county_name
            form = "有限公司" if random_() < 0.75 else ("有限责任公司" if random_() < 0.6 else "股份有限公司")
            if profile == "manufacturing" and random_() < 0.1:
                form = "厂"
            name = f"{short}{rng.choice(BRAND)}{rng.choice(BRAND)}{trade}{form}"
            stamp = created[int(365 * random_())]
            yield (
                build_credit_code(region_code[:6], MARKER + _serial(i)),
                name,
                str(place.region_id),
                str(classes[c][0]),
                f"{place.name}{rng.choice(ROADS)}{1 + int(300 * random_())}号",
                scale,
                str(employees),
                _person_name(rng),
                _person_name(rng),
                f"1{rng.choice('3578')}{int(1e9 * random_()):09d}",
                statuses[int(100 * random_())],
                hrss[place.owner_region_id],
                stamp,
                stamp,
            )
        self.case_cum = _cumulative(ent_weight)
        eligible = [w if classes[c][3] in DISEASES else 0.0 for w, c in zip(ent_weight, self.ent_class, strict=True)]
        self.disease_cum = _cumulative(eligible) if any(eligible) else None

    def read_back_enterprises(self) -> None:
        """The database ids of the enterprises just loaded, by the serial in their credit code."""
        ids = [0] * len(self.ent_place)
        for pk, code in generated_enterprises().values_list("pk", "credit_code").iterator(chunk_size=50_000):
            ids[_unserial(code[10:16])] = pk
        self.ent_id = [str(pk) for pk in ids]

    # --- workers -------------------------------------------------------------------------------------------------

    def build_pool(self, size: int) -> None:
        """``size`` distinct workers: name, a valid ID number (a real county code, birth date, sex digit, check
        character), its Fernet token and blind index. Sorted by birth date, so that a case can pick a worker of a
        plausible age for its year."""
        rng = self.rng
        random_ = rng.random
        first_year = datetime.date.fromordinal(self.first_ord).year
        low = datetime.date(first_year - 62, 1, 1).toordinal()
        high = datetime.date(self.today.year - 18, 12, 31).toordinal()
        seen, people = set(), []
        while len(people) < size:
            birth_ord = low + int((high - low) * rng.triangular(0, 1, 0.55))
            birth = datetime.date.fromordinal(birth_ord)
            male = random_() < MALE_SHARE
            serial = 2 * int(500 * random_()) + (1 if male else 0)
            first17 = f"{rng.choice(self.county_codes)}{birth:%Y%m%d}{serial:03d}"
            number = first17 + id_number_check_char(first17)
            if number in seen:
                continue
            seen.add(number)
            name = _person_name(rng, female=not male)
            people.append(
                (birth_ord, name, encrypt(number), blind_index(number), "M" if male else "F", birth.isoformat())
            )
        people.sort()
        self.pool = people
        self.pool_births = [p[0] for p in people]

    def _workers_for_year(self, year: int, youngest: int, oldest: int) -> tuple[int, int]:
        """Index range of the pool's workers aged ``youngest`` to ``oldest`` in ``year`` (the whole pool if none)."""
        lo = bisect.bisect_left(self.pool_births, datetime.date(year - oldest, 1, 1).toordinal())
        hi = bisect.bisect_right(self.pool_births, datetime.date(year - youngest, 12, 31).toordinal())
        return (lo, hi) if hi > lo else (0, len(self.pool))

    # --- cases ---------------------------------------------------------------------------------------------------

    def _utc(self, local_ord: int, minute: int, second: int = 0) -> str:
        """'YYYY-MM-DD HH:MM:SS' in UTC (plus '+00' for COPY) of a local day and minute of the day."""
        shift, utc_minute = divmod(minute - self.offset[local_ord], 1440)
        return self.iso[local_ord + shift - self.base_ord] + self.hhmm[utc_minute] + self.seconds[second]

    def _day_counts(self, total: int) -> list[int]:
        """How many of ``total`` rows fall on each day of the period: a yearly decline and fewer at weekends."""
        weights = []
        for o in range(self.first_ord, self.last_ord + 1):
            years_in = (o - self.first_ord) / 365.25
            weights.append((1 - YEARLY_DECLINE) ** years_in * WEEKDAY_FACTOR[datetime.date.fromordinal(o).weekday()])
        cum = _cumulative(weights)
        bounds = [round(total * c / cum[-1]) for c in cum]
        return [b - a for a, b in zip([0, *bounds[:-1]], bounds, strict=True)]

    def prepare_tiers(self) -> None:
        """Per enterprise, the province, city, county and industry its cases and accidents carry (``TieredRecord``)."""
        tiers = region_tiers({p.region_id for p in self.places})
        by_place = [tuple(NULL if t is None else str(t) for t in tiers[p.region_id]) for p in self.places]
        classes = self.classes
        self.ent_tiers = [
            (*by_place[p], str(classes[c][0])) for p, c in zip(self.ent_place, self.ent_class, strict=True)
        ]

    def case_rows(self, total: int):
        """Work-injury cases in the order of their dates, as a live table fills. Some become safety accidents
        (``self.accidents``, loaded afterwards)."""
        rng = self.rng
        random_ = rng.random
        choices = rng.choices
        iso, base, first, last = self.iso, self.base_ord, self.first_ord, self.last_ord
        hhmm, seconds = self.hhmm, self.seconds
        pool = self.pool
        ent_id = self.ent_id
        owners = [self.places[p].owner_region_id for p in self.ent_place]
        ent_tiers = self.ent_tiers
        ent_hrss = [self.agency_str["hrss"][o] for o in owners]
        ent_emergency = [self.agency_str["emergency"][o] for o in owners]
        ent_profile = [self.profiles[self.classes[c][3]] for c in self.ent_class]
        grade_cum = _cumulative(GRADE_WEIGHTS)
        population = range(len(ent_id))
        minutes = range(1440)
        accidents = self.accidents
        recent = self.today.toordinal() - 60  # cases after this are mostly not yet recognised
        # 10:00 local time of each day of the period (when a case was entered or recognised), then "now".
        stamps = [self._utc(o, 600) for o in range(first, last + 1)] + [self.now] * 32
        for day, count in zip(range(first, last + 1), self._day_counts(total), strict=True):
            if not count:
                continue
            date = datetime.date.fromordinal(day)
            edition = gb6441_edition_for(date)
            lo, hi = self._workers_for_year(date.year, 18, 60)
            span = hi - lo
            offset = self.offset[day]
            dates = (iso[day - 1 - base], iso[day - base], iso[day + 1 - base])  # UTC date: day before, same, after
            p_recognised = 0.92 if day < recent else 0.3
            for e, minute in zip(
                choices(population, cum_weights=self.case_cum, k=count),
                choices(minutes, cum_weights=self.minute_cum, k=count),
                strict=True,
            ):
                by_edition, type_cum, posts, place_names = ent_profile[e]
                type_ids, type_names = by_edition[edition]
                t = _pick(random_, type_cum)
                birth_ord, worker, token, digest, sex, birth_iso = pool[lo + int(span * random_())]
                shift, utc_minute = divmod(minute - offset, 1440)
                occurred = dates[shift + 1] + hhmm[utc_minute] + seconds[int(60 * random_())]
                r = random_()
                severity = "fatal" if r < P_FATAL else ("serious" if r < P_FATAL + P_SERIOUS else "minor")
                recognised = random_() < p_recognised
                rec_ord = min(day + 15 + int(45 * random_()), last) if recognised else 0
                grade = NULL
                if severity == "fatal":
                    lost, payout = "0", 900_000 + int(200_000 * random_())
                elif severity == "serious":
                    lost = str(60 + int(300 * random_()))
                    payout = 30_000 + int(200_000 * random_())
                    if recognised and random_() < 0.7:
                        g = _pick(random_, grade_cum) + 1
                        grade, payout = str(g), payout + (11 - g) * 40_000
                else:
                    lost = str(3 + int(57 * random_() ** 1.5))
                    payout = 2_000 + int(38_000 * random_() ** 2)
                    if recognised and random_() < 0.15:
                        grade = "10" if random_() < 0.75 else "9"
                # Hired at least a day before the accident and at 16 or older, up to 20 years before.
                longest = min(7305, day - birth_ord - 5844)
                hire = iso[day - 1 - int(longest * random_() ** 2) - base] if longest > 1 and random_() < 0.95 else NULL
                entered = day + 1 + int(30 * random_())
                created = stamps[entered - first]
                place = place_names[int(len(place_names) * random_())]
                post = posts[int(len(posts) * random_())]
                yield (
                    ent_hrss[e],
                    created,
                    stamps[rec_ord - first] if rec_ord > entered else created,
                    ent_id[e],
                    occurred,
                    place,
                    type_ids[t],
                    CAUSES[int(len(CAUSES) * random_())],
                    post,
                    hire,
                    severity,
                    lost,
                    iso[rec_ord - base] if recognised else NULL,
                    grade,
                    f"{payout}.00" if recognised else "0.00",
                    worker,
                    token,
                    digest,
                    sex,
                    birth_iso,
                    *ent_tiers[e],
                )
                if random_() < P_ACCIDENT[severity]:
                    deaths, serious = (1, 0) if severity == "fatal" else ((0, 1) if severity == "serious" else (0, 0))
                    loss = {"fatal": 1_200_000, "serious": 100_000, "minor": 5_000}[severity] * (1 + 2 * random_())
                    accidents.append(
                        (
                            ent_emergency[e],
                            created,
                            created,
                            occurred,
                            ent_id[e],
                            place,
                            type_ids[t],
                            f"{post}在{place}作业时发生{type_names[t]}事故",
                            str(deaths),
                            str(serious),
                            str(1 - deaths - serious + int(2 * random_() ** 3)),
                            f"{loss:.2f}",
                            accident_grade(deaths, serious, loss).value,
                            *ent_tiers[e],
                        )
                    )

    def disease_rows(self, total: int):
        """New occupational-disease diagnoses at enterprises of dusty, noisy or chemical work."""
        if not total or self.disease_cum is None:
            return
        rng = self.rng
        random_ = rng.random
        iso, base = self.iso, self.base_ord
        health = self.agency_str["health"]
        population = range(len(self.ent_id))
        mixes = {key: (diseases, _cumulative(d[1] for d in diseases)) for key, diseases in DISEASES.items()}
        for day, count in zip(range(self.first_ord, self.last_ord + 1), self._day_counts(total), strict=True):
            if not count:
                continue
            date = datetime.date.fromordinal(day)
            version = disease_catalogue_for(date)
            lo, hi = self._workers_for_year(date.year, 30, 62)
            for e in rng.choices(population, cum_weights=self.disease_cum, k=count):
                _pk, _code, _trade_name, profile, _risk, division = self.classes[self.ent_class[e]]
                diseases, cum = mixes["coal" if division == 6 else profile]
                name, _weight, hazard, wordings = diseases[_pick(random_, cum)]
                disease_id = self.diseases.get((version, name))
                if disease_id is None:
                    raise CommandError(_missing(OccupationalDisease))
                birth_ord, worker, token, digest, sex, birth_iso = self.pool[lo + int((hi - lo) * random_())]
                age = (day - birth_ord) / 365.25
                # Dust diseases after many years, a falling share of them after fewer than five (DESIGN §3.2).
                years_in = (day - self.first_ord) / 365.25
                short = random_() < 0.2 * (1 - YEARLY_DECLINE * 3) ** years_in
                exposure = (0.5 + 4.4 * random_()) if short else (5 + 25 * random_() ** 1.5)
                exposure = round(min(exposure, max(0.5, age - 18)), 1)
                start_ord = day - int(exposure * 365.25)
                wording = wordings[int(len(wordings) * random_())]
                token_diagnosis = self.diagnosis_tokens.get(wording)
                if token_diagnosis is None:
                    token_diagnosis = self.diagnosis_tokens[wording] = encrypt(wording)
                place = self.places[self.ent_place[e]]
                stamp = self._utc(min(day + 1 + int(20 * random_()), self.last_ord), 600)
                yield (
                    health[place.owner_region_id],
                    stamp,
                    stamp,
                    self.ent_id[e],
                    str(disease_id),
                    token_diagnosis,
                    hazard,
                    iso[start_ord - base],
                    f"{exposure:.1f}",
                    iso[day - base],
                    f"{self.province_names.get(place.province + '0000', '')}职业病防治院",
                    worker,
                    token,
                    digest,
                    sex,
                    birth_iso,
                    *self.ent_tiers[e],
                )


def _missing(model) -> str:
    return _("Reference data are missing: %(what)s. Run `python manage.py load_reference` first.") % {
        "what": model._meta.verbose_name_plural
    }


def _person_name(rng, *, female: bool | None = None) -> str:
    given = rng.choice(GIVEN) if rng.random() < 0.3 else rng.choice(GIVEN) + rng.choice(GIVEN)
    return rng.choice(SURNAMES) + given


def _trade(industry_name: str, profile: str) -> str:
    """A business word for a company name from the class name: 金属结构制造 → 金属结构."""
    name = industry_name
    for word in ("其他", "未列明", "专业", "及辅助性活动", "制造", "加工", "服务", "业", "生产"):
        name = name.replace(word, "")
    name = name.split("、")[0].split("及")[0].split("和")[0][:4] or industry_name[:2]
    suffix = {"construction": "建设", "transport": "运输", "trade": "贸易", "services": "服务"}.get(profile, "")
    if profile in ("manufacturing", "chemical"):
        suffix = "制造"
    return name + suffix


# --- database transports ---------------------------------------------------------------------------------------


class _Chunks:
    """A file-like object over row tuples for COPY: each read returns the text of up to ``COPY_CHUNK`` rows."""

    def __init__(self, rows):
        self.rows = iter(rows)

    def read(self, size: int = -1) -> str:
        lines = ["\t".join(row) for row in itertools.islice(self.rows, COPY_CHUNK)]
        return "\n".join(lines) + "\n" if lines else ""


def _copy(table: str, columns: list[str], rows) -> None:
    qn = connection.ops.quote_name
    sql = f"COPY {qn(table)} ({', '.join(qn(c) for c in columns)}) FROM STDIN"
    connection.ensure_connection()
    with connection.connection.cursor() as cursor:
        if hasattr(cursor, "copy_expert"):  # psycopg2
            cursor.copy_expert(sql, _Chunks(rows), size=1 << 20)
        else:  # psycopg 3
            chunks = _Chunks(rows)
            with cursor.copy(sql) as copy:
                while text := chunks.read():
                    copy.write(text)


def _executemany(table: str, columns: list[str], rows) -> None:
    qn = connection.ops.quote_name
    placeholders = ", ".join(["%s"] * len(columns))
    sql = f"INSERT INTO {qn(table)} ({', '.join(qn(c) for c in columns)}) VALUES ({placeholders})"  # noqa: S608
    rows = iter(rows)
    with connection.cursor() as cursor:
        while batch := list(itertools.islice(rows, BATCH)):
            cursor.executemany(sql, [tuple(None if v is NULL else v for v in row) for row in batch])
