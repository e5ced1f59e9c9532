"""Load the reference data files in ``portal/reference/data/`` into the database (``manage.py load_reference``).

Each data set is loaded in its own transaction and upserted: rows are matched on their natural key, new rows
are created, changed rows updated, and rows that left the file are removed where nothing can point at them
(code lists) or deactivated (regions). A data set whose files have the same checksum as at its last load is
skipped, so a second run is fast and changes nothing; ``force=True`` re-checks every row anyway.

Decisions (see ``data/README.md`` for the caveats of each file):

- Regions: all 3,213 GB/T 2260 codes in use (民政部, ``状态 = 在用``) at province/city/county level, plus all
  41,352 NBS 2023 towns and streets of the whole country. A county's parent is its prefecture, or the province
  for the ``直辖`` counties (municipality districts, 省直辖县级市 such as 仙桃市, Hainan and Xinjiang). The 133
  NBS county-level rows that are not GB/T 2260 codes (124 functional zones, 大兴安岭 districts, old 三沙 codes,
  大柴旦) are loaded as counties flagged ``is_functional_zone`` under their prefecture, so that their towns have
  a parent; the NBS pseudo-county 620201 嘉峪关市 is folded into the city 620200. Official regions that leave
  the files are marked ``is_active=False``, never deleted. User-defined zones (``is_custom``) are not touched
  except that their ``path`` is recomputed if an ancestor's path changed.
- Historic region codes: every record of ``mca-areacodes-result.csv`` (6,823), for ID-number validation.
- The calendar is admin-editable: rows from the file are created or updated to the file's values when the
  file changes; rows an administrator added (for instance next year's holidays) are never deleted.
- Industry flags: only the national rows (no region) are synchronised with ``key-industries.csv``; regional
  rows belong to the regions.
"""

from __future__ import annotations

import csv
import datetime
import hashlib
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from django.db import connection, models, transaction
from django.utils import timezone

from .models import (
    ACCIDENT_GRADE_NAMES_ZH,
    ACCIDENT_GRADE_THRESHOLDS,
    AccidentGrade,
    AccidentType,
    AccidentTypeKind,
    AccidentTypeMapping,
    CalendarDay,
    DiseaseCatalogueMapping,
    HazardRiskLevel,
    HistoricalRegionCode,
    HistoricalRegionCodeStatus,
    Industry,
    IndustryFlag,
    IndustryLevel,
    IndustryRiskClass,
    OccupationalDisease,
    OccupationalHazardRisk,
    ReferenceDataset,
    Region,
    RegionLevel,
    RiskClass,
)

DATA_DIR = Path(__file__).resolve().parent / "data"
#: Bump when the loading logic changes, so that the next run reloads every data set.
LOADER_VERSION = "1"
BATCH_SIZE = 2000


@dataclass
class LoadResult:
    """What one data set's load did."""

    name: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    removed: int = 0
    skipped: bool = False
    seconds: float = 0.0
    loaded_at: datetime.datetime | None = None

    def add(self, counts: tuple[int, int, int]) -> None:
        self.created += counts[0]
        self.updated += counts[1]
        self.removed += counts[2]

    def summary(self) -> str:
        if self.skipped:
            when = timezone.localtime(self.loaded_at).strftime("%Y-%m-%d %H:%M") if self.loaded_at else "?"
            return f"{self.name}: unchanged since {when} ({self.rows:,} rows), skipped"
        return (
            f"{self.name}: {self.rows:,} rows; {self.created:,} created, {self.updated:,} updated, "
            f"{self.removed:,} removed or deactivated ({self.seconds:.1f} s)"
        )


# --- helpers -------------------------------------------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    """All rows of a UTF-8 CSV file (BOM tolerated) as dicts of stripped strings: codes stay strings."""
    with path.open(encoding="utf-8-sig", newline="") as f:
        return [{k.strip(): (v or "").strip() for k, v in row.items()} for row in csv.DictReader(f)]


def files_checksum(data_dir: Path, files: Iterable[str]) -> str:
    digest = hashlib.sha256(f"loader-v{LOADER_VERSION}".encode())
    for name in files:
        digest.update(name.encode())
        digest.update((data_dir / name).read_bytes())
    return digest.hexdigest()


# Tables that took this many new or changed rows are analysed at once: the planner's statistics of a freshly
# loaded table (tens of thousands of regions after a truncation) would otherwise say it is nearly empty until
# autovacuum comes by, and joins through it get plans that read it once per row of the other side.
ANALYZE_MIN_ROWS = 500
_written: set[str] = set()


def _analyze_written() -> None:
    tables = sorted(_written)
    _written.clear()
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")


def sync(
    model: type[models.Model],
    rows: list[dict],
    key: tuple[str, ...],
    *,
    existing: dict | None = None,
    queryset: models.QuerySet | None = None,
    delete_missing: bool = False,
) -> tuple[int, int, int]:
    """Upsert ``rows`` (dicts keyed by attribute name, e.g. ``parent_id``) into ``model`` matching on ``key``.

    Returns (created, updated, deleted). ``existing`` may pass a prepared ``{key tuple: instance}`` map;
    otherwise it is read from ``queryset`` (default: all rows). Only the fields present in the rows are compared
    and written.
    """
    if existing is None:
        qs = queryset if queryset is not None else model._default_manager.all()
        existing = {tuple(getattr(o, k) for k in key): o for o in qs}
    fields = [f for f in (rows[0] if rows else {}) if f not in key]
    to_create, to_update, seen = [], [], set()
    for row in rows:
        k = tuple(row[f] for f in key)
        seen.add(k)
        obj = existing.get(k)
        if obj is None:
            obj = model(**row)
            to_create.append(obj)
            existing[k] = obj
            continue
        changed = False
        for f in fields:
            if getattr(obj, f) != row[f]:
                setattr(obj, f, row[f])
                changed = True
        if changed:
            to_update.append(obj)
    if to_create:
        model._default_manager.bulk_create(to_create, batch_size=BATCH_SIZE)
    if to_update:
        model._default_manager.bulk_update(to_update, fields, batch_size=BATCH_SIZE)
    if len(to_create) + len(to_update) >= ANALYZE_MIN_ROWS:
        _written.add(model._meta.db_table)
    deleted = 0
    if delete_missing:
        stale = [o.pk for k, o in existing.items() if k not in seen]
        for i in range(0, len(stale), BATCH_SIZE):
            deleted += model._default_manager.filter(pk__in=stale[i : i + BATCH_SIZE]).delete()[0]
    return len(to_create), len(to_update), deleted


def sync_tree(model: type[models.Model], nodes: list[dict], *, queryset: models.QuerySet) -> tuple[int, int, int]:
    """Upsert tree nodes given parents first, each a dict with ``code``, ``parent_code`` (None for a root) and
    the other fields. Computes ``path``/``depth`` in Python (``bulk_create`` bypasses ``save()``) and writes
    level by level so that every parent has its id before its children are written."""
    paths: dict[str, str] = {}
    by_depth: dict[int, list[dict]] = {}
    for node in nodes:
        parent = node.pop("parent_code")
        path = f"{paths[parent] if parent else '/'}{node['code']}/"
        paths[node["code"]] = path
        depth = path.count("/") - 2
        by_depth.setdefault(depth, []).append({**node, "path": path, "depth": depth, "_parent": parent})
    existing = {(o.code,): o for o in queryset}
    ids = {o.code: o.pk for o in existing.values()}
    totals = [0, 0, 0]
    for depth in sorted(by_depth):
        rows = []
        for node in by_depth[depth]:
            parent = node.pop("_parent")
            rows.append({**node, "parent_id": ids[parent] if parent else None})
        counts = sync(model, rows, ("code",), existing=existing)
        totals = [a + b for a, b in zip(totals, counts, strict=True)]
        if counts[0]:
            missing = [n["code"] for n in rows if existing[(n["code"],)].pk is None]
            if missing:  # databases that do not return ids from bulk_create
                for code, pk in model._default_manager.filter(code__in=missing).values_list("code", "pk"):
                    existing[(code,)].pk = pk
            ids.update({n["code"]: existing[(n["code"],)].pk for n in rows})
    return totals[0], totals[1], totals[2]


def _int_or_none(value: str) -> int | None:
    return int(value) if value != "" else None


def _flag(value: str) -> bool:
    return value in {"1", "true", "True", "yes"}


# --- data sets ------------------------------------------------------------------------------------------------

_MCA_LEVELS = {"省级": RegionLevel.PROVINCE, "地级": RegionLevel.CITY, "县级": RegionLevel.COUNTY}
_MCA_STATUS = {
    "在用": HistoricalRegionCodeStatus.IN_USE,
    "弃用": HistoricalRegionCodeStatus.ABOLISHED,
    "变更": HistoricalRegionCodeStatus.CHANGED,
}


def load_region_codes(data_dir: Path, result: LoadResult) -> None:
    rows = [
        {
            "code": r["代码"],
            "name": r["名称"],
            "province_name": r["一级行政区"],
            "city_name": r["二级行政区"],
            "level": _MCA_LEVELS[r["级别"]],
            "status": _MCA_STATUS[r["状态"]],
            "valid_from": int(r["启用时间"]),
            "valid_to": _int_or_none(r["变更/弃用时间"]),
            "new_codes": r["新代码"],
        }
        for r in read_csv(data_dir / "regions/mca-areacodes-result.csv")
    ]
    result.rows = len(rows)
    result.add(sync(HistoricalRegionCode, rows, ("code", "valid_from"), delete_missing=True))


def region_nodes(data_dir: Path) -> list[dict]:
    """The official region tree (parents first) built from the MCA and NBS files."""
    nodes: dict[str, dict] = {}

    def add(code, name, level, parent_code, functional=False):
        nodes[code] = {
            "code": code,
            "name": name,
            "level": level,
            "parent_code": parent_code,
            "is_active": True,
            "is_functional_zone": functional,
        }

    active = [r for r in read_csv(data_dir / "regions/mca-areacodes-result.csv") if r["状态"] == "在用"]
    for wanted in (RegionLevel.PROVINCE, RegionLevel.CITY, RegionLevel.COUNTY):
        for r in active:
            code, level = r["代码"], _MCA_LEVELS[r["级别"]]
            if level != wanted:
                continue
            province, city = code[:2] + "0000", code[:4] + "00"
            if level == RegionLevel.PROVINCE:
                parent = None
            elif level == RegionLevel.CITY or r["二级行政区"] == "直辖" or city not in nodes:
                parent = province
            else:
                parent = city
            add(code, r["名称"], level, parent)

    nbs_cities = {r["code"]: r for r in read_csv(data_dir / "regions/nbs-2023-cities.csv")}
    area_parent: dict[str, str] = {}  # NBS area code → region that holds its towns
    for a in read_csv(data_dir / "regions/nbs-2023-areas.csv"):
        code = a["code"]
        if code in nodes:
            area_parent[code] = code
            continue
        city_code = a["cityCode"] + "00"
        has_city = city_code in nodes and nodes[city_code]["level"] == RegionLevel.CITY
        if has_city and a["name"] == nbs_cities[a["cityCode"]]["name"]:
            area_parent[code] = city_code  # pseudo-county of a city without counties (620201 嘉峪关市)
            continue
        add(code, a["name"], RegionLevel.COUNTY, city_code if has_city else a["provinceCode"] + "0000", True)
        area_parent[code] = code
    for s in read_csv(data_dir / "regions/nbs-2023-streets.csv"):
        add(s["code"], s["name"], RegionLevel.TOWN, area_parent[s["areaCode"]])
    return list(nodes.values())


def load_regions(data_dir: Path, result: LoadResult) -> None:
    nodes = region_nodes(data_dir)
    codes = {n["code"] for n in nodes}
    result.rows = len(nodes)
    result.add(sync_tree(Region, nodes, queryset=Region.objects.filter(is_custom=False)))
    active = Region.objects.filter(is_custom=False, is_active=True).values_list("pk", "code")
    gone = [pk for pk, code in active if code not in codes]
    for i in range(0, len(gone), BATCH_SIZE):
        result.removed += Region.objects.filter(pk__in=gone[i : i + BATCH_SIZE]).update(is_active=False)
    # User-defined zones hang below official regions: keep their paths in step.
    custom = list(Region.objects.filter(is_custom=True).select_related("parent").order_by("depth"))
    new_paths: dict[int, str] = {}
    changed = []
    for zone in custom:
        prefix = new_paths.get(zone.parent_id) or (zone.parent.path if zone.parent_id else "/")
        path = f"{prefix}{zone.code}/"
        new_paths[zone.pk] = path
        if path != zone.path:
            zone.path, zone.depth = path, path.count("/") - 2
            changed.append(zone)
    if changed:
        Region.objects.bulk_update(changed, ["path", "depth"], batch_size=BATCH_SIZE)
        result.updated += len(changed)


_INDUSTRY_LEVEL_ORDER = [IndustryLevel.SECTION, IndustryLevel.DIVISION, IndustryLevel.GROUP, IndustryLevel.CLASS]


def load_industries(data_dir: Path, result: LoadResult) -> None:
    rows = read_csv(data_dir / "industries/gbt4754-2017.csv")
    rows.sort(key=lambda r: _INDUSTRY_LEVEL_ORDER.index(r["level"]))
    nodes = [
        {"code": r["code"], "name": r["name"], "level": r["level"], "parent_code": r["parent_code"] or None}
        for r in rows
    ]
    result.rows = len(nodes)
    result.add(sync_tree(Industry, nodes, queryset=Industry.objects.all()))


def _industry_ids() -> dict[str, int]:
    return dict(Industry.objects.values_list("code", "pk"))


def load_risk_classes(data_dir: Path, result: LoadResult) -> None:
    classes = [
        {
            "number": int(r["risk_class"]),
            "label": r["label"],
            "base_rate_percent": Decimal(r["base_rate_percent"]),
            "tiers": [int(t) for t in r["tiers"].split(";") if t],
            "source": r["source"],
        }
        for r in read_csv(data_dir / "industries/wc-risk-classes.csv")
    ]
    result.add(sync(RiskClass, classes, ("number",)))
    ids = _industry_ids()
    entries = [
        {
            "industry_id": ids[r["group_code"] or r["division_code"]],
            "risk_class_id": _int_or_none(r["risk_class"]),
            "code_2011": r["code_2011"],
            "note": r["note"],
        }
        for r in read_csv(data_dir / "industries/wc-risk-class-by-division-2017.csv")
    ]
    result.rows = len(classes) + len(entries)
    result.add(sync(IndustryRiskClass, entries, ("industry_id",), delete_missing=True))


def load_industry_flags(data_dir: Path, result: LoadResult) -> None:
    rows = [
        {
            "region_id": None,
            "kind": r["kind"],
            "code_prefix": r["gbt4754_code"],
            "label": r["label"],
            "is_excluded": False,
            "note": r["note"],
        }
        for r in read_csv(data_dir / "industries/key-industries.csv")
    ]
    result.rows = len(rows)
    national = IndustryFlag.objects.filter(region__isnull=True)
    result.add(sync(IndustryFlag, rows, ("region_id", "kind", "code_prefix"), queryset=national, delete_missing=True))


_OHD_RISK = {"严重": HazardRiskLevel.SERIOUS, "一般": HazardRiskLevel.GENERAL}


def load_ohd_risks(data_dir: Path, result: LoadResult) -> None:
    ids = _industry_ids()
    rows = [
        {
            "code": r["gbt4754_code"],
            "name": r["name"],
            "industry_id": ids.get(r["gbt4754_code"]),
            "risk": _OHD_RISK[r["risk"]],
            "is_split": _flag(r["is_split"]),
            "note": r["note"],
        }
        for r in read_csv(data_dir / "industries/ohd-risk-catalogue-2021.csv")
    ]
    result.rows = len(rows)
    result.add(sync(OccupationalHazardRisk, rows, ("code", "name"), delete_missing=True))


def load_accident_types(data_dir: Path, result: LoadResult) -> None:
    types = [
        {"edition": 1986, "code": r["code"], "name": r["name"], "kind": AccidentTypeKind.TYPE, "note": ""}
        for r in read_csv(data_dir / "accidents/gb6441-1986.csv")
    ] + [
        {
            "edition": 2025,
            "code": r["code"],
            "name": r["name"],
            "kind": AccidentTypeKind.INJURY_DEGREE if r["code"].startswith("WSA2") else AccidentTypeKind.TYPE,
            "note": r["note"],
        }
        for r in read_csv(data_dir / "accidents/gb6441-2025.csv")
    ]
    result.add(sync(AccidentType, types, ("edition", "code")))
    ids = {(t.edition, t.code): t.pk for t in AccidentType.objects.all()}
    links = [
        {
            "old_id": ids[(1986, r["old_code"])],
            "new_id": ids[(2025, r["new_code"])],
            "needs_review": _flag(r["needs_review"]),
            "is_default": _flag(r["is_default"]),
            "note": r["note"],
        }
        for r in read_csv(data_dir / "accidents/gb6441-legacy-map.csv")
    ]
    result.rows = len(types) + len(links)
    result.add(sync(AccidentTypeMapping, links, ("old_id", "new_id"), delete_missing=True))
    # Types that left the files go last, after the mappings that pointed at them.
    stale = AccidentType.objects.exclude(
        pk__in=[ids[(t["edition"], t["code"])] for t in types if (t["edition"], t["code"]) in ids]
    )
    result.removed += stale.delete()[0]


def load_accident_grades(data_dir: Path, result: LoadResult) -> None:
    rows = []
    for rank, r in enumerate(read_csv(data_dir / "accidents/accident-grades-493.csv"), start=1):
        row = {
            "level": ACCIDENT_GRADE_NAMES_ZH[r["grade"]],
            "name": r["grade"],
            "rank": rank,
            "deaths_min": int(r["deaths_min"]),
            "deaths_max": _int_or_none(r["deaths_max"]),
            "serious_min": int(r["serious_min"]),
            "serious_max": _int_or_none(r["serious_max"]),
            "loss_min_yuan": int(r["loss_min_yuan"]),
            "loss_max_yuan": _int_or_none(r["loss_max_yuan"]),
        }
        expected = ACCIDENT_GRADE_THRESHOLDS[rank - 1]
        found = (
            row["level"],
            (row["deaths_min"], row["deaths_max"]),
            (row["serious_min"], row["serious_max"]),
            (row["loss_min_yuan"], row["loss_max_yuan"]),
        )
        if found != expected:
            raise ValueError(
                f"accident-grades-493.csv row {rank} {found} differs from models.ACCIDENT_GRADE_THRESHOLDS; "
                "update the constants that accident_grade() uses."
            )
        rows.append(row)
    result.rows = len(rows)
    result.add(sync(AccidentGrade, rows, ("level",), delete_missing=True))


def load_diseases(data_dir: Path, result: LoadResult) -> None:
    items = [
        {
            "code": r["code"],
            "catalogue_version": int(r["catalogue_version"]),
            "class_no": int(r["class_no"]),
            "class_name": r["class_name"],
            "subclass_no": int(r["subclass_no"] or 0),
            "subclass_name": r["subclass_name"],
            "item_no": int(r["item_no"]),
            "name": r["name"],
            "restriction_note": r["restriction_note"],
            "is_open_clause": _flag(r["is_open_clause"]),
            "valid_from": datetime.date.fromisoformat(r["valid_from"]),
            "valid_to": datetime.date.fromisoformat(r["valid_to"]) if r["valid_to"] else None,
        }
        for r in read_csv(data_dir / "diseases/occupational-diseases.csv")
    ]
    result.add(sync(OccupationalDisease, items, ("code",)))
    ids = dict(OccupationalDisease.objects.values_list("code", "pk"))
    links = [
        {
            "old_id": ids[r["code_2013"]] if r["code_2013"] else None,
            "new_id": ids[r["code_2024"]],
            "change": r["change"],
            "note": r["note"],
        }
        for r in read_csv(data_dir / "diseases/catalogue-2013-to-2024.csv")
    ]
    result.rows = len(items) + len(links)
    result.add(sync(DiseaseCatalogueMapping, links, ("old_id", "new_id"), delete_missing=True))
    result.removed += OccupationalDisease.objects.exclude(code__in=[i["code"] for i in items]).delete()[0]


def load_calendar(data_dir: Path, result: LoadResult) -> None:
    rows = [
        {"date": datetime.date.fromisoformat(r["date"]), "is_workday": _flag(r["is_workday"]), "name": r["name"]}
        for r in read_csv(data_dir / "calendar/cn-workdays-2024-2026.csv")
    ]
    result.rows = len(rows)
    result.add(sync(CalendarDay, rows, ("date",)))


@dataclass(frozen=True)
class Dataset:
    name: str
    files: tuple[str, ...]
    load: Callable[[Path, LoadResult], None]
    depends: tuple[str, ...] = ()


DATASETS: tuple[Dataset, ...] = (
    Dataset("region_codes", ("regions/mca-areacodes-result.csv",), load_region_codes),
    Dataset(
        "regions",
        (
            "regions/mca-areacodes-result.csv",
            "regions/nbs-2023-cities.csv",
            "regions/nbs-2023-areas.csv",
            "regions/nbs-2023-streets.csv",
        ),
        load_regions,
    ),
    Dataset("industries", ("industries/gbt4754-2017.csv",), load_industries),
    Dataset(
        "risk_classes",
        ("industries/wc-risk-classes.csv", "industries/wc-risk-class-by-division-2017.csv"),
        load_risk_classes,
        depends=("industries",),
    ),
    Dataset("industry_flags", ("industries/key-industries.csv",), load_industry_flags),
    Dataset("ohd_risk_catalogue", ("industries/ohd-risk-catalogue-2021.csv",), load_ohd_risks, depends=("industries",)),
    Dataset(
        "accident_types",
        ("accidents/gb6441-1986.csv", "accidents/gb6441-2025.csv", "accidents/gb6441-legacy-map.csv"),
        load_accident_types,
    ),
    Dataset("accident_grades", ("accidents/accident-grades-493.csv",), load_accident_grades),
    Dataset(
        "occupational_diseases",
        ("diseases/occupational-diseases.csv", "diseases/catalogue-2013-to-2024.csv"),
        load_diseases,
    ),
    Dataset("calendar", ("calendar/cn-workdays-2024-2026.csv",), load_calendar),
)
DATASET_NAMES = tuple(d.name for d in DATASETS)


def load_reference(
    names: Iterable[str] | None = None,
    *,
    force: bool = False,
    data_dir: Path = DATA_DIR,
    report: Callable[[LoadResult], None] | None = None,
) -> list[LoadResult]:
    """Load the named data sets (default: all, in dependency order). Returns one ``LoadResult`` per data set and
    calls ``report`` with each as soon as it is done."""
    wanted = set(names) if names else set(DATASET_NAMES)
    unknown = wanted - set(DATASET_NAMES)
    if unknown:
        raise ValueError(f"Unknown reference data set(s): {', '.join(sorted(unknown))}")
    results: list[LoadResult] = []
    reloaded: set[str] = set()
    for dataset in DATASETS:
        if dataset.name not in wanted:
            continue
        checksum = files_checksum(data_dir, dataset.files)
        previous = ReferenceDataset.objects.filter(name=dataset.name).first()
        result = LoadResult(dataset.name)
        stale_dependency = any(d in reloaded for d in dataset.depends)
        if previous and previous.checksum == checksum and not force and not stale_dependency:
            result.skipped, result.rows, result.loaded_at = True, previous.rows, previous.loaded_at
        else:
            started = time.perf_counter()
            with transaction.atomic():
                dataset.load(data_dir, result)
                _analyze_written()
                ReferenceDataset.objects.update_or_create(
                    name=dataset.name,
                    defaults={"checksum": checksum, "loaded_at": timezone.now(), "rows": result.rows},
                )
            result.seconds = time.perf_counter() - started
            if result.created or result.updated or result.removed:
                reloaded.add(dataset.name)
        results.append(result)
        if report:
            report(result)
    return results
