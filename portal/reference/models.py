"""Official code lists: administrative regions, industries, accident types, occupational diseases, calendar.

Regions and industries are trees with a materialised ``path`` ("/330000/330700/330784/330784001/") so that a
query can roll up a whole subtree with one indexed ``LIKE 'prefix%'`` (``Region.objects.subtree(zhejiang)``).

The data come from the files in ``portal/reference/data/`` (see its README for sources, versions and licences)
and are loaded by ``python manage.py load_reference``. The helpers at the end of each section are the public
API other modules use:

- regions: ``Region``, ``HistoricalRegionCode.ever_existed(code)``;
- industries: ``risk_class_for(industry)``, ``base_rate_for(industry, region, year)``,
  ``is_industry_flagged(code, kind, region)``, ``industry_flag_q(kind, region, field)``,
  ``industry_flag_groups(kind, region, field)``, ``ohd_risks_for(code)``;
- accidents: ``gb6441_edition_for(date)``, ``accident_types_for(date)``, ``find_accident_type(name, edition)``,
  ``accident_grade(deaths, serious_injuries, direct_loss_yuan)``;
- diseases: ``disease_catalogue_for(date)``, ``diseases_for(diagnosis_date)``;
- calendar: ``is_workday(d)``, ``next_workday_on_or_after(d)``, ``add_months_deadline(start, months)``,
  ``add_workdays(start, days)``; ``CalendarNotSeeded`` for a year without calendar rows.
"""

from __future__ import annotations

import calendar as _calendar
import datetime
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models, transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Concat, Substr
from django.utils.translation import gettext, pgettext_lazy
from django.utils.translation import gettext_lazy as _


class TreeQuerySet(models.QuerySet):
    """Subtree and ancestor look-ups over the materialised path."""

    def subtree(self, node, *, include_self: bool = True):
        qs = self.filter(path__startswith=node.path)
        return qs if include_self else qs.exclude(pk=node.pk)

    def ancestors_of(self, node, *, include_self: bool = False):
        paths = node.ancestor_paths(include_self=include_self)
        return self.filter(path__in=paths).order_by("depth")


class TreeNode(models.Model):
    """Common fields of the two code trees."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    path = models.CharField(_("path"), max_length=255, db_index=True, editable=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0, editable=False)

    objects = TreeQuerySet.as_manager()

    class Meta:
        abstract = True
        ordering = ["path"]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        before = type(self).objects.filter(pk=self.pk).values_list("path", flat=True).first() if self.pk else None
        self.build_path()
        with transaction.atomic():
            if before and before != self.path:  # moved: the whole subtree moves with it (before the signals)
                type(self).objects.filter(path__startswith=before).exclude(pk=self.pk).update(
                    path=Concat(Value(self.path), Substr("path", len(before) + 1), output_field=models.CharField()),
                    depth=F("depth") + (self.path.count("/") - before.count("/")),
                )
            super().save(*args, **kwargs)

    def build_path(self) -> None:
        """Set ``path`` and ``depth`` from the parent (the parent's path must be current)."""
        prefix = self.parent.path if self.parent_id else "/"
        self.path = f"{prefix}{self.code}/"
        self.depth = self.path.count("/") - 2

    def ancestor_paths(self, *, include_self: bool = False) -> list[str]:
        parts = [p for p in self.path.split("/") if p]
        stop = len(parts) if include_self else len(parts) - 1
        return ["/" + "/".join(parts[: i + 1]) + "/" for i in range(stop)]

    def is_within(self, other) -> bool:
        """True if this node is ``other`` or lies below it."""
        return self.path.startswith(other.path)


class RegionLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County")
    TOWN = "town", _("Town or street")
    ZONE = "zone", _("User-defined zone")


class Region(TreeNode):
    """An administrative division (GB/T 2260 codes to county level, NBS codes for towns and streets)
    or a user-defined zone such as a development zone under a county."""

    level = models.CharField(_("level"), max_length=10, choices=RegionLevel.choices)
    is_active = models.BooleanField(_("in use"), default=True)
    is_custom = models.BooleanField(_("user-defined"), default=False)
    is_functional_zone = models.BooleanField(
        _("statistical unit only"),
        default=False,
        help_text=_(
            "A county-level unit of the NBS statistical codes that is not a GB/T 2260 division "
            "(development zones and similar)."
        ),
    )

    class Meta(TreeNode.Meta):
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    @property
    def full_name(self) -> str:
        names = list(Region.objects.ancestors_of(self).values_list("name", flat=True)) + [self.name]
        return "".join(dict.fromkeys(names))  # 北京市北京市 → 北京市 for municipalities


# The tiers a record counted in millions carries as columns of its own (see ``enterprises.models.TieredRecord``):
# a region's ancestors at depth 0, 1 and 2 of the tree (province, city, county).
SCOPE_TIERS = ("province", "city", "county")


def region_tiers(region_ids) -> dict[int, tuple[int | None, ...]]:
    """``{region id: (province id, city id, county id)}``: each region's ancestors (or itself) at depth 0, 1, 2;
    None below a region that does not reach that depth. Two queries whatever the number of regions."""
    paths = dict(Region.objects.filter(pk__in=set(region_ids)).values_list("pk", "path"))
    codes_of = {pk: [c for c in path.split("/") if c][: len(SCOPE_TIERS)] for pk, path in paths.items()}
    wanted = {c for codes in codes_of.values() for c in codes}
    ids = dict(Region.objects.filter(code__in=wanted).values_list("code", "pk"))
    pad = (None,) * len(SCOPE_TIERS)
    return {pk: (*(ids.get(c) for c in codes), *pad)[: len(SCOPE_TIERS)] for pk, codes in codes_of.items()}


class IndustryLevel(models.TextChoices):
    SECTION = "section", _("Section")
    DIVISION = "division", _("Division")
    GROUP = "group", _("Group")
    CLASS = "class", _("Class")


class Industry(TreeNode):
    """An industry of GB/T 4754-2017 (with amendment 1): section, division, group or class."""

    level = models.CharField(_("level"), max_length=10, choices=IndustryLevel.choices)

    class Meta(TreeNode.Meta):
        verbose_name = _("industry")
        verbose_name_plural = _("industries")


# --- Regions: every code that ever existed -----------------------------------------------------------------


class HistoricalRegionCodeStatus(models.TextChoices):
    IN_USE = "in_use", _("In use")
    ABOLISHED = "abolished", _("Abolished")
    CHANGED = "changed", _("Changed")


class HistoricalRegionCode(models.Model):
    """A GB/T 2260 code record since 1981 (民政部), in use or not: one row per code and period.

    A 居民身份证号 keeps the county code that was valid when it was first issued, so ID validation accepts any
    code found here (``ever_existed``). The same code may have several rows (a code re-used for another name).
    A record is in use from ``valid_from`` (inclusive) to ``valid_to`` (exclusive, empty while in use).
    """

    code = models.CharField(_("code"), max_length=6, db_index=True)
    name = models.CharField(_("name"), max_length=50)
    province_name = models.CharField(_("province"), max_length=50, blank=True)
    city_name = models.CharField(_("prefecture"), max_length=50, blank=True)
    level = models.CharField(_("level"), max_length=10, choices=RegionLevel.choices)
    status = models.CharField(_("status"), max_length=10, choices=HistoricalRegionCodeStatus.choices)
    valid_from = models.PositiveSmallIntegerField(_("in use from (year)"))
    valid_to = models.PositiveSmallIntegerField(_("in use until (year, exclusive)"), null=True, blank=True)
    new_codes = models.CharField(_("new codes"), max_length=200, blank=True, help_text=_("Separated by ';'."))

    class Meta:
        verbose_name = _("historical region code")
        verbose_name_plural = _("historical region codes")
        ordering = ["code", "valid_from"]
        constraints = [models.UniqueConstraint(fields=["code", "valid_from"], name="histregion_code_from_uniq")]

    def __str__(self):
        return f"{self.code} {self.name}"

    @classmethod
    def ever_existed(cls, code: str) -> bool:
        """True if ``code`` was a GB/T 2260 code at any time since 1981 (one indexed look-up)."""
        return cls.objects.filter(code=code).exists()


# --- Industries: work-injury insurance risk classes and rates ----------------------------------------------


class RiskClass(models.Model):
    """One of the eight industry risk classes of work-injury insurance (人社部发〔2015〕71号) with its national
    base rate (% of the payroll total, "左右") and the allowed floating tiers (% of the base rate)."""

    number = models.PositiveSmallIntegerField(_("risk class"), primary_key=True)
    label = models.CharField(_("label"), max_length=10)
    base_rate_percent = models.DecimalField(_("national base rate (%)"), max_digits=5, decimal_places=3)
    tiers = models.JSONField(_("allowed tiers (percent of the base rate)"), default=list)
    source = models.CharField(_("source"), max_length=100, blank=True)

    class Meta:
        verbose_name = _("risk class")
        verbose_name_plural = _("risk classes")
        ordering = ["number"]

    def __str__(self):
        return self.label


class IndustryRiskClass(models.Model):
    """The risk class of a GB/T 4754-2017 division (or, for division 59, of a group). Division 79 has no
    national class (``risk_class`` empty): the region decides."""

    industry = models.OneToOneField(
        Industry, verbose_name=_("industry"), on_delete=models.CASCADE, related_name="risk_class_entry"
    )
    risk_class = models.ForeignKey(
        RiskClass, verbose_name=_("risk class"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    code_2011 = models.CharField(_("GB/T 4754-2011 code"), max_length=4, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("industry risk class")
        verbose_name_plural = _("industry risk classes")
        ordering = ["industry__path"]

    def __str__(self):
        return f"{self.industry.code} → {self.risk_class or '—'}"


class RegionalRiskRate(models.Model):
    """A base rate set by a region for one year and risk class; it overrides the national rate for the region
    and every region below it (unless a lower region sets its own)."""

    region = models.ForeignKey(Region, verbose_name=_("region"), on_delete=models.CASCADE, related_name="risk_rates")
    year = models.PositiveSmallIntegerField(_("year"))
    risk_class = models.ForeignKey(RiskClass, verbose_name=_("risk class"), on_delete=models.PROTECT, related_name="+")
    base_rate_percent = models.DecimalField(_("base rate (%)"), max_digits=5, decimal_places=3)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("regional risk rate")
        verbose_name_plural = _("regional risk rates")
        ordering = ["region__path", "-year", "risk_class"]
        constraints = [
            models.UniqueConstraint(fields=["region", "year", "risk_class"], name="regional_rate_uniq"),
        ]

    def __str__(self):
        return f"{self.region} {self.year} {self.risk_class}: {self.base_rate_percent}%"


def _ancestor_codes(code: str) -> list[str]:
    """A 4754 code and its ancestors' codes, most specific first ("3311" → ["3311", "331", "33"])."""
    return [code[:n] for n in range(len(code), 1, -1)] if code[:1].isdigit() else [code]


def risk_class_for(industry: Industry | str) -> RiskClass | None:
    """The national risk class of an industry (a division, group or class, or its code), or None when the
    industry has none (sections, division 79 土地管理业)."""
    code = industry if isinstance(industry, str) else industry.code
    entries = {
        e.industry.code: e
        for e in IndustryRiskClass.objects.filter(industry__code__in=_ancestor_codes(code)).select_related(
            "industry", "risk_class"
        )
    }
    for c in _ancestor_codes(code):
        if c in entries:
            return entries[c].risk_class
    return None


def base_rate_for(industry: Industry | str, region: Region | None, year: int) -> Decimal | None:
    """The base rate (% of payroll) for an industry in a region and year.

    Looks for a ``RegionalRiskRate`` of exactly that ``year`` on the region, then on each region above it
    (nearest first); falls back to the national rate of the risk class. None if the industry has no class.
    """
    rc = risk_class_for(industry)
    if rc is None:
        return None
    if region is not None:
        rates = {
            r.region.path: r.base_rate_percent
            for r in RegionalRiskRate.objects.filter(
                region__path__in=region.ancestor_paths(include_self=True), year=year, risk_class=rc
            ).select_related("region")
        }
        for path in reversed(region.ancestor_paths(include_self=True)):
            if path in rates:
                return rates[path]
    return rc.base_rate_percent


# --- Industries: key (重点) and dust (涉尘) flags -----------------------------------------------------------


class IndustryFlagKind(models.TextChoices):
    KEY = "key", _("Key industry")
    DUST = "dust", _("Dust industry")


class IndustryFlag(models.Model):
    """A rule flagging industries as key (重点行业) or dust (涉尘行业): every industry whose GB/T 4754 code starts
    with ``code_prefix``.

    Rows without a region are the national defaults (seeded from ``key-industries.csv``). A region adds its own
    rows: an including row extends the set, an excluding row (``is_excluded``) removes industries from it. The
    rule that decides for a code is the one of the nearest region (the region itself, then the regions above
    it, then national); within one region the longest prefix wins.
    """

    region = models.ForeignKey(
        Region,
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="industry_flags",
        help_text=_("Empty for the national default."),
    )
    kind = models.CharField(_("kind"), max_length=4, choices=IndustryFlagKind.choices)
    label = models.CharField(_("label"), max_length=30, help_text=_("For example 危险化学品 or 建材."))
    code_prefix = models.CharField(
        _("GB/T 4754 code prefix"), max_length=4, help_text=_("A division, group or class code, e.g. 30 or 5435.")
    )
    is_excluded = models.BooleanField(
        _("excluded"), default=False, help_text=_("Remove the matching industries from the set instead of adding them.")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("industry flag")
        verbose_name_plural = _("industry flags")
        ordering = ["kind", "region__path", "code_prefix"]
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "code_prefix"], condition=Q(region__isnull=True), name="industry_flag_national_uniq"
            ),
            models.UniqueConstraint(
                fields=["region", "kind", "code_prefix"],
                condition=Q(region__isnull=False),
                name="industry_flag_regional_uniq",
            ),
        ]

    def __str__(self):
        sign = "−" if self.is_excluded else "+"
        return f"{self.get_kind_display()} {sign}{self.code_prefix} {self.label}"

    def clean(self):
        self.code_prefix = (self.code_prefix or "").strip()
        if not Industry.objects.filter(code=self.code_prefix).exclude(level=IndustryLevel.SECTION).exists():
            raise ValidationError(
                {"code_prefix": _("Enter a GB/T 4754-2017 division, group or class code, e.g. 30 or 5435.")}
            )


def industry_flag_rules(kind: str, region: Region | None = None) -> list[IndustryFlag]:
    """The rules that apply in ``region`` (national if None), lowest precedence first."""
    q = Q(region__isnull=True)
    if region is not None:
        q |= Q(region__path__in=region.ancestor_paths(include_self=True))
    rules = list(IndustryFlag.objects.filter(q, kind=kind).select_related("region"))
    rules.sort(key=lambda r: (r.region.depth + 1 if r.region_id else 0, len(r.code_prefix)))
    return rules


def is_industry_flagged(code: str, kind: str, region: Region | None = None, *, rules=None) -> bool:
    """True if the industry with GB/T 4754 ``code`` is flagged ``kind`` ("key"/"dust") in ``region``.
    Pass ``rules=industry_flag_rules(kind, region)`` to test many codes with one query."""
    for rule in reversed(rules if rules is not None else industry_flag_rules(kind, region)):
        if code.startswith(rule.code_prefix):
            return not rule.is_excluded
    return False


def industry_flag_labels(code: str, kind: str, region: Region | None = None, *, rules=None) -> list[str]:
    """The labels (危险化学品, 建材, …) under which ``code`` is flagged in ``region``: those of the matching
    including rules that no exclusion of higher precedence overrides. Empty if the code is not flagged."""
    rules = rules if rules is not None else industry_flag_rules(kind, region)
    labels: list[str] = []
    for rule in rules:  # lowest precedence first: an exclusion drops what came before it
        if code.startswith(rule.code_prefix):
            if rule.is_excluded:
                labels = []
            elif rule.label not in labels:
                labels.append(rule.label)
    return labels


def industry_flag_q(kind: str, region: Region | None = None, field: str = "code", *, rules=None) -> Q:
    """A ``Q`` selecting the rows whose 4754 code (``field``, e.g. ``"code"`` on Industry or
    ``"industry__code"`` on Enterprise) is flagged ``kind`` in ``region``.

    The rules are applied in order of precedence, so the result is exactly ``is_industry_flagged``:
    ``Industry.objects.filter(industry_flag_q("key", yongkang, "code"), level="class")``.
    """
    rules = rules if rules is not None else industry_flag_rules(kind, region)
    q = Q(**{f"{field}__in": []})
    for rule in rules:
        match = Q(**{f"{field}__startswith": rule.code_prefix})
        q = (q & ~match) if rule.is_excluded else (q | match)
    return q


def industry_flag_groups(kind: str, region: Region | None = None, field: str = "code") -> dict[str, Q]:
    """``{label: Q}`` for each label of flagged industries in ``region`` (for statistics per key industry). A
    code falls under the labels ``industry_flag_labels`` gives it; an industry may be under several labels."""
    rules = industry_flag_rules(kind, region)
    groups: dict[str, Q] = {}
    for i, rule in enumerate(rules):
        if rule.is_excluded:
            continue
        q = Q(**{f"{field}__startswith": rule.code_prefix})
        for later in rules[i + 1 :]:
            if later.is_excluded and (
                later.code_prefix.startswith(rule.code_prefix) or rule.code_prefix.startswith(later.code_prefix)
            ):
                q &= ~Q(**{f"{field}__startswith": later.code_prefix})
        groups[rule.label] = (groups[rule.label] | q) if rule.label in groups else q
    return groups


# --- Industries: occupational-hazard risk catalogue 2021 --------------------------------------------------


class HazardRiskLevel(models.TextChoices):
    SERIOUS = "serious", pgettext_lazy("occupational hazard risk", "Serious")
    GENERAL = "general", pgettext_lazy("occupational hazard risk", "General")


class OccupationalHazardRisk(models.Model):
    """An entry of the 2021 建设项目职业病危害风险分类管理目录 (国家卫生健康委办公厅, 2021-03-12): the occupational
    hazard risk (严重/一般) of a GB/T 4754-2017 group (some classes). Split entries (``is_split``) repeat a code
    with a condition in ``name``. Industries not listed are not covered by the catalogue."""

    code = models.CharField(_("GB/T 4754 code"), max_length=4, db_index=True)
    industry = models.ForeignKey(
        Industry, verbose_name=_("industry"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    name = models.CharField(_("name"), max_length=60)
    risk = models.CharField(_("risk"), max_length=8, choices=HazardRiskLevel.choices)
    is_split = models.BooleanField(_("split by condition"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("occupational-hazard risk entry")
        verbose_name_plural = _("occupational-hazard risk catalogue (2021)")
        ordering = ["code", "name"]
        constraints = [models.UniqueConstraint(fields=["code", "name"], name="ohd_risk_code_name_uniq")]

    def __str__(self):
        return f"{self.code} {self.name}: {self.get_risk_display()}"


def ohd_risks_for(code: str):
    """The catalogue entries that cover the 4754 class (or group) ``code``: usually one; several for a split
    group (the user chooses by condition); none if the catalogue does not list the industry."""
    return OccupationalHazardRisk.objects.filter(code__in=_ancestor_codes(code))


# --- Accidents: GB 6441 types and the 493号令 grades --------------------------------------------------------


class GB6441Edition(models.IntegerChoices):
    E1986 = 1986, _("GB/T 6441-1986")
    E2025 = 2025, _("GB 6441-2025")


class AccidentTypeKind(models.TextChoices):
    TYPE = "type", _("Accident type")
    INJURY_DEGREE = "injury_degree", _("Injury degree")


class AccidentType(models.Model):
    """An accident type (事故类别) of GB/T 6441-1986 (20 classes, codes 01–20) or GB 6441-2025 (27 basic types
    ``WSA10001``–``WSA10026`` and ``WSA10099``, plus 4 injury-degree codes ``WSA2000x``)."""

    edition = models.PositiveSmallIntegerField(_("edition"), choices=GB6441Edition.choices)
    code = models.CharField(_("code"), max_length=10)
    name = models.CharField(_("name"), max_length=30, db_index=True)
    kind = models.CharField(_("kind"), max_length=16, choices=AccidentTypeKind.choices, default=AccidentTypeKind.TYPE)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("accident type")
        verbose_name_plural = _("accident types")
        ordering = ["edition", "code"]
        constraints = [models.UniqueConstraint(fields=["edition", "code"], name="accident_type_edition_code_uniq")]

    def __str__(self):
        return f"{self.code} {self.name}"

    def default_successor(self) -> AccidentType | None:
        """For a 1986 type, the default 2025 type of the legacy map (a judgement call when ``needs_review``)."""
        m = self.successors.filter(is_default=True).select_related("new").first()
        return m.new if m else None


class AccidentTypeMapping(models.Model):
    """This project's map from a GB/T 6441-1986 class to GB 6441-2025 types. Each old class has exactly one
    default row; classes that were split or removed are marked ``needs_review`` (a person should confirm)."""

    old = models.ForeignKey(
        AccidentType, verbose_name=_("1986 type"), on_delete=models.CASCADE, related_name="successors"
    )
    new = models.ForeignKey(
        AccidentType, verbose_name=_("2025 type"), on_delete=models.CASCADE, related_name="predecessors"
    )
    needs_review = models.BooleanField(_("needs review"), default=False)
    is_default = models.BooleanField(_("default"), default=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("accident type mapping")
        verbose_name_plural = _("accident type mappings (1986 → 2025)")
        ordering = ["old__code", "-is_default", "new__code"]
        constraints = [models.UniqueConstraint(fields=["old", "new"], name="accident_map_uniq")]

    def __str__(self):
        return f"{self.old} → {self.new}"


def gb6441_2025_effective() -> datetime.date:
    """The date from which GB 6441-2025 applies: setting ``GB6441_2025_EFFECTIVE`` (default 2026-07-01; the
    effective date was uncertain when this was written)."""
    value = getattr(settings, "GB6441_2025_EFFECTIVE", None) or datetime.date(2026, 7, 1)
    return datetime.date.fromisoformat(value) if isinstance(value, str) else value


def _as_date(d) -> datetime.date:
    return d.date() if isinstance(d, datetime.datetime) else d


def gb6441_edition_for(incident_date: datetime.date) -> int:
    """1986 or 2025: the edition that classifies an accident on ``incident_date``."""
    return GB6441Edition.E2025 if _as_date(incident_date) >= gb6441_2025_effective() else GB6441Edition.E1986


def accident_types_for(incident_date: datetime.date):
    """The accident types (kind "type") to offer for an accident on ``incident_date``."""
    return AccidentType.objects.filter(edition=gb6441_edition_for(incident_date), kind=AccidentTypeKind.TYPE)


def normalize_accident_type_name(name: str) -> str:
    """Fold the spelling variants: 其它 → 其他, blanks removed, half-width brackets to full-width."""
    return (name or "").strip().replace(" ", "").replace("其它", "其他").replace("(", "（").replace(")", "）")


def find_accident_type(name: str, edition: int) -> AccidentType | None:
    """The type of ``edition`` named ``name`` (其它/其他 and bracket widths treated alike), or None."""
    wanted = normalize_accident_type_name(name)
    for t in AccidentType.objects.filter(edition=edition):
        if normalize_accident_type_name(t.name) == wanted:
            return t
    return None


class AccidentGradeLevel(models.TextChoices):
    """The four grades of 国务院令第493号 art. 3, highest first."""

    PARTICULARLY_SERIOUS = "particularly_serious", _("Particularly serious accident")
    SERIOUS = "serious", _("Serious accident")
    RELATIVELY_SERIOUS = "relatively_serious", _("Relatively serious accident")
    ORDINARY = "ordinary", _("Ordinary accident")


#: 493号令 art. 3 thresholds, highest grade first: (grade, deaths, serious injuries, direct loss in yuan), each
#: a (min inclusive, max exclusive or None) pair. ``accident-grades-493.csv`` holds the same numbers.
ACCIDENT_GRADE_THRESHOLDS = (
    (AccidentGradeLevel.PARTICULARLY_SERIOUS, (30, None), (100, None), (100_000_000, None)),
    (AccidentGradeLevel.SERIOUS, (10, 30), (50, 100), (50_000_000, 100_000_000)),
    (AccidentGradeLevel.RELATIVELY_SERIOUS, (3, 10), (10, 50), (10_000_000, 50_000_000)),
    (AccidentGradeLevel.ORDINARY, (0, 3), (0, 10), (0, 10_000_000)),
)
ACCIDENT_GRADE_NAMES_ZH = {
    "特别重大": AccidentGradeLevel.PARTICULARLY_SERIOUS,
    "重大": AccidentGradeLevel.SERIOUS,
    "较大": AccidentGradeLevel.RELATIVELY_SERIOUS,
    "一般": AccidentGradeLevel.ORDINARY,
}


def accident_grade(deaths, serious_injuries, direct_loss_yuan) -> AccidentGradeLevel | None:
    """The 493号令 grade of an accident: the highest grade that **any** criterion reaches ("或者").

    ``deaths`` and ``serious_injuries`` (重伤, including 急性工业中毒) are counts, ``direct_loss_yuan`` is the
    direct economic loss in yuan. Each minimum is inclusive ("以上") and each maximum exclusive ("以下"), so 3
    deaths is 较大 and 2 is 一般. A criterion given as None is ignored; if all three are None the result is None.
    An accident with zeros is 一般 (the table's lower bound is 0). Pure function: no database access.
    """
    values = (deaths, serious_injuries, direct_loss_yuan)
    if all(v is None for v in values):
        return None
    if any(v is not None and v < 0 for v in values):
        raise ValueError("accident_grade: negative value")
    for grade, *ranges in ACCIDENT_GRADE_THRESHOLDS:
        for value, (low, high) in zip(values, ranges, strict=True):
            if value is not None and value >= low and (high is None or value < high):
                return grade
    return None  # not reached: every non-negative value falls in one range


class AccidentGrade(models.Model):
    """A grade of 《生产安全事故报告和调查处理条例》(国务院令第493号) art. 3 with its thresholds (min inclusive,
    max exclusive, empty max = no upper bound). For display; ``accident_grade()`` computes the grade."""

    level = models.CharField(_("grade"), max_length=24, choices=AccidentGradeLevel.choices, unique=True)
    name = models.CharField(_("name"), max_length=10)
    rank = models.PositiveSmallIntegerField(_("rank"), help_text=_("1 is the highest grade."))
    deaths_min = models.PositiveIntegerField(_("deaths from"))
    deaths_max = models.PositiveIntegerField(_("deaths below"), null=True, blank=True)
    serious_min = models.PositiveIntegerField(_("serious injuries from"))
    serious_max = models.PositiveIntegerField(_("serious injuries below"), null=True, blank=True)
    loss_min_yuan = models.BigIntegerField(_("direct loss from (yuan)"))
    loss_max_yuan = models.BigIntegerField(_("direct loss below (yuan)"), null=True, blank=True)

    class Meta:
        verbose_name = _("accident grade")
        verbose_name_plural = _("accident grades")
        ordering = ["rank"]

    def __str__(self):
        return self.name


# --- Occupational diseases ---------------------------------------------------------------------------------


class DiseaseCatalogueVersion(models.IntegerChoices):
    V2013 = 2013, _("Catalogue 2013")
    V2024 = 2024, _("Catalogue 2024")


#: The 2024 catalogue applies to diagnoses from this date; earlier diagnoses use (and keep) the 2013 codes.
DISEASE_CATALOGUE_2024_FROM = datetime.date(2025, 8, 1)


class OccupationalDisease(models.Model):
    """An item of 《职业病分类和目录》: the 2013 edition (国卫疾控发〔2013〕48号, 132 items) or the 2024 edition
    (135 items, in force from 2025-08-01). ``code`` is ``<version>-<class>-<subclass>-<item>``."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    catalogue_version = models.PositiveSmallIntegerField(_("catalogue"), choices=DiseaseCatalogueVersion.choices)
    class_no = models.PositiveSmallIntegerField(_("class number"))
    class_name = models.CharField(_("class"), max_length=40)
    subclass_no = models.PositiveSmallIntegerField(_("subclass number"), default=0)
    subclass_name = models.CharField(_("subclass"), max_length=20, blank=True)
    item_no = models.PositiveSmallIntegerField(_("item number"))
    name = models.CharField(_("name"), max_length=60, db_index=True)
    restriction_note = models.CharField(_("restriction"), max_length=60, blank=True)
    is_open_clause = models.BooleanField(_("open clause"), default=False)
    valid_from = models.DateField(_("valid from"))
    valid_to = models.DateField(_("valid to"), null=True, blank=True)

    class Meta:
        verbose_name = _("occupational disease")
        verbose_name_plural = _("occupational diseases")
        ordering = ["catalogue_version", "class_no", "subclass_no", "item_no"]

    def __str__(self):
        return self.name

    @property
    def is_pneumoconiosis(self) -> bool:
        """尘肺病: class 1, subclass 1 of both catalogues."""
        return self.class_no == 1 and self.subclass_no == 1


class DiseaseCatalogueMapping(models.Model):
    """How a 2013 item maps to the 2024 catalogue: same, renumbered, moved, split (two rows) or new (no 2013
    item)."""

    class Change(models.TextChoices):
        SAME = "same", pgettext_lazy("disease catalogue change", "Same")
        RENUMBERED = "renumbered", pgettext_lazy("disease catalogue change", "Renumbered")
        MOVED = "moved", pgettext_lazy("disease catalogue change", "Moved")
        SPLIT = "split", pgettext_lazy("disease catalogue change", "Split")
        NEW = "new", pgettext_lazy("disease catalogue change", "New")

    old = models.ForeignKey(
        OccupationalDisease,
        verbose_name=_("2013 item"),
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="successors",
    )
    new = models.ForeignKey(
        OccupationalDisease, verbose_name=_("2024 item"), on_delete=models.CASCADE, related_name="predecessors"
    )
    change = models.CharField(_("change"), max_length=12, choices=Change.choices)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("disease catalogue mapping")
        verbose_name_plural = _("disease catalogue mappings (2013 → 2024)")
        ordering = ["new__code"]
        constraints = [models.UniqueConstraint(fields=["old", "new"], name="disease_map_uniq")]

    def __str__(self):
        return f"{self.old or '—'} → {self.new}"


def disease_catalogue_for(diagnosis_date: datetime.date) -> int:
    """2013 or 2024: the catalogue for a diagnosis on ``diagnosis_date`` (2024 from 2025-08-01; earlier dates,
    including those before 2013-12-23, use 2013, the oldest loaded)."""
    return (
        DiseaseCatalogueVersion.V2024
        if _as_date(diagnosis_date) >= DISEASE_CATALOGUE_2024_FROM
        else DiseaseCatalogueVersion.V2013
    )


def diseases_for(diagnosis_date: datetime.date):
    """The catalogue items to offer for a diagnosis on ``diagnosis_date``."""
    return OccupationalDisease.objects.filter(catalogue_version=disease_catalogue_for(diagnosis_date))


# --- Calendar ------------------------------------------------------------------------------------------------


class CalendarDay(models.Model):
    """An exception to the Monday–Friday working week: a statutory holiday (``is_workday`` false) or a weekend
    make-up working day (调休上班, ``is_workday`` true). Any date not listed is a workday on Monday–Friday and a
    rest day on Saturday–Sunday. Seeded for 2024–2026; an administrator adds each new year when the State
    Council publishes it. Deadlines are refused for a year without rows (``CalendarNotSeeded``)."""

    date = models.DateField(_("date"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    name = models.CharField(_("name"), max_length=30, blank=True, help_text=_("For example 国庆节 or 国庆节调休上班."))

    class Meta:
        verbose_name = _("calendar day")
        verbose_name_plural = _("calendar days")
        ordering = ["date"]

    def __str__(self):
        return f"{self.date:%Y-%m-%d} {self.name}"


class CalendarNotSeeded(LookupError):
    """The holiday calendar has no rows for a year, so working days in it cannot be known."""

    def __init__(self, year: int):
        self.year = year
        super().__init__(
            gettext(
                "The holiday calendar for %(year)s has not been entered, so a deadline in that year cannot be "
                "computed. Ask an administrator to add that year's holidays."
            )
            % {"year": year}
        )


def _calendar_year(year: int, cache: dict) -> dict[datetime.date, bool]:
    if year not in cache:
        rows = dict(CalendarDay.objects.filter(date__year=year).values_list("date", "is_workday"))
        if not rows:
            raise CalendarNotSeeded(year)
        cache[year] = rows
    return cache[year]


def is_workday(d: datetime.date, *, _cache: dict | None = None) -> bool:
    """True if ``d`` is a working day in mainland China. Raises ``CalendarNotSeeded`` for a year without rows."""
    d = _as_date(d)
    exceptions = _calendar_year(d.year, _cache if _cache is not None else {})
    return exceptions.get(d, d.weekday() < 5)


def next_workday_on_or_after(d: datetime.date) -> datetime.date:
    """``d`` if it is a working day, else the next working day."""
    d, cache = _as_date(d), {}
    while not is_workday(d, _cache=cache):
        d += datetime.timedelta(days=1)
    return d


def add_months(start: datetime.date, months: int) -> datetime.date:
    """The same day ``months`` later, clamped to the month's last day (01-31 + 1 month → 02-28/29)."""
    index = start.year * 12 + start.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return start.replace(year=year, month=month, day=min(start.day, _calendar.monthrange(year, month)[1]))


def add_months_deadline(start: datetime.date, months: int) -> datetime.date:
    """A deadline ``months`` after ``start`` (e.g. the 1-month rectification deadline of a notice letter);
    one that falls on a rest day or holiday moves to the next working day."""
    return next_workday_on_or_after(add_months(_as_date(start), months))


def add_workdays(start: datetime.date, days: int) -> datetime.date:
    """The ``days``-th working day after ``start`` (``start`` itself not counted)."""
    d, cache = _as_date(start), {}
    while days > 0:
        d += datetime.timedelta(days=1)
        if is_workday(d, _cache=cache):
            days -= 1
    return d


# --- Load bookkeeping ----------------------------------------------------------------------------------------


class ReferenceDataset(models.Model):
    """The last load of one reference data set by ``load_reference``: the checksum of its files lets a second
    run skip data that have not changed."""

    name = models.CharField(_("name"), max_length=40, unique=True)
    checksum = models.CharField(_("checksum"), max_length=64)
    loaded_at = models.DateTimeField(_("loaded at"))
    rows = models.PositiveIntegerField(_("rows"), default=0)

    class Meta:
        verbose_name = _("reference data set")
        verbose_name_plural = _("reference data sets")
        ordering = ["name"]

    def __str__(self):
        return self.name
