"""Summary (rollup) tables of the statistics service, the way DHIS2 reads only from its analytics tables.

Each table is narrow and pre-aggregated along the region tree (``tier``: 0 the whole country, 1 province, 2 city,
3 county, 4 town or zone), by month (cases) or quarter (insurance). A row is either an *industry row* (``industry``
a GB/T 4754 division) or an *all-industries row* (``industry`` NULL); both are split by the key and dust flags of
the enterprises they count (resolved when the rows are built, by the rules in force where each enterprise is
registered, as the enterprise page shows them). A question about a region R reads the rows of R's tier
(``region = R``), a breakdown of R the rows of the tier below (``parent = R``): a few hundred rows whatever the
size of the case table.

Each table holds industry rows down to one tier and all-industries rows down to another (``cubes.FAMILIES``): the
finer the grain, the closer a table comes to the size of the cases it sums (10 M cases make 3.3 M county ×
division × month groups). ``stats`` reads a table where it holds the grain a question needs and sums the source
rows otherwise; ``cubes`` builds and refreshes them, and tests hold both ways against each other.
"""

from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from portal.permissions import ScopedQuerySet


def _region(null=True, **kwargs):
    return models.ForeignKey(
        "reference.Region",
        null=null,
        on_delete=models.DO_NOTHING,
        db_constraint=False,  # summary rows are rebuilt, never the source of truth
        related_name="+",
        **{"db_index": False, **kwargs},  # read through the tables' composite indexes
    )


class RegionAncestry(models.Model):
    """Each region's ancestor (or itself) at each tier, with that ancestor's parent: one join instead of
    parsing materialised paths in every summary query."""

    region = models.ForeignKey(
        "reference.Region", on_delete=models.CASCADE, related_name="analysis_ancestry", db_constraint=False
    )
    tier = models.PositiveSmallIntegerField()
    ancestor = _region(null=False)
    parent = _region()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["region", "tier"], name="analysis_ancestry_one_per_tier")]

    def __str__(self):
        return f"{self.region_id}@{self.tier} → {self.ancestor_id}"


class Cube(models.Model):
    """Base of the summary tables: a row of one region (at its tier), one industry division or all industries
    (NULL), and the key and dust flags of the enterprises it counts."""

    tier = models.PositiveSmallIntegerField()
    region = _region()
    parent = _region()
    industry = models.ForeignKey(
        "reference.Industry",
        null=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,  # read through the composite indexes; one per column only slowed every insert
        related_name="+",
    )
    key = models.BooleanField(default=False)
    dust = models.BooleanField(default=False)

    class Meta:
        abstract = True

    def __str__(self):
        return f"tier {self.tier} region {self.region_id} industry {self.industry_id}"


class MonthlyCube(Cube):
    month = models.DateField()

    class Meta:
        abstract = True

    def __str__(self):
        return f"{self.month:%Y-%m} {super().__str__()}"


class InjuryCube(MonthlyCube):
    """Work-injury cases by region tier, industry division (or all), flags and month."""

    cases = models.PositiveIntegerField(default=0)
    minor = models.PositiveIntegerField(default=0)
    serious = models.PositiveIntegerField(default=0)
    deaths = models.PositiveIntegerField(default=0)
    lost_workdays = models.BigIntegerField(default=0)
    fund_payout = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("work-injury summary")
        verbose_name_plural = _("work-injury summaries")
        indexes = [
            models.Index(fields=["tier", "region", "industry", "month"], name="injurycube_region"),
            models.Index(fields=["tier", "parent", "industry", "month"], name="injurycube_parent"),
            models.Index(fields=["month"], name="injurycube_month"),
        ]
        permissions = [
            ("view_statistics", _("Can view statistics")),
            ("view_own_statistics", _("Can view the statistics of one's own enterprise")),
        ]


class CaseDetailCube(MonthlyCube):
    """Base of the breakdowns of cases by one more attribute (accident type, post)."""

    cases = models.PositiveIntegerField(default=0)
    minor = models.PositiveIntegerField(default=0)
    serious = models.PositiveIntegerField(default=0)
    deaths = models.PositiveIntegerField(default=0)

    class Meta:
        abstract = True


class CauseCube(CaseDetailCube):
    """Cases by accident type (GB 6441, the edition in force on the accident date)."""

    accident_type = models.ForeignKey(
        "reference.AccidentType", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )

    class Meta:
        indexes = [
            models.Index(fields=["tier", "region", "industry", "month"], name="causecube_region"),
            models.Index(fields=["month"], name="causecube_month"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} tier {self.tier} region {self.region_id} type {self.accident_type_id}"


class PostCube(CaseDetailCube):
    """Cases by post (岗位) as recorded."""

    post = models.CharField(max_length=60)

    class Meta:
        indexes = [
            models.Index(fields=["tier", "region", "industry", "month"], name="postcube_region"),
            models.Index(fields=["month"], name="postcube_month"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} tier {self.tier} region {self.region_id} post {self.post}"


class DiseaseCube(MonthlyCube):
    """New occupational-disease diagnoses by region tier, industry division (or all), month of diagnosis, disease,
    and whether the worker had fewer than 5 years of exposure (seed 000 tracks that share for pneumoconiosis)."""

    disease = models.ForeignKey(
        "reference.OccupationalDisease", on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    short_exposure = models.BooleanField()
    cases = models.PositiveIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["tier", "region", "industry", "month"], name="diseasecube_region"),
            models.Index(fields=["month"], name="diseasecube_month"),
        ]

    def __str__(self):
        return f"{self.month:%Y-%m} tier {self.tier} region {self.region_id} disease {self.disease_id}"


class AccidentCube(MonthlyCube):
    """Production-safety accidents (应急) by region tier, industry division (or all) and month."""

    accidents = models.PositiveIntegerField(default=0)
    deaths = models.PositiveIntegerField(default=0)
    serious_injuries = models.PositiveIntegerField(default=0)
    direct_loss = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        indexes = [
            models.Index(fields=["tier", "region", "industry", "month"], name="accidentcube_region"),
            models.Index(fields=["tier", "parent", "industry", "month"], name="accidentcube_parent"),
            models.Index(fields=["month"], name="accidentcube_month"),
        ]


class RegionGDP(models.Model):
    """A region's gross domestic product of a year (亿元), entered or imported from the statistics bureau's
    figures: the denominator of "accidents per 100 million yuan of GDP" (seed 004 §3.1)."""

    region = models.ForeignKey("reference.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    gdp = models.DecimalField(
        _("GDP (100 million yuan)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    owner_agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("entered by"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_region = "region"
    scope_owner = "owner_agency"

    class Meta:
        verbose_name = _("regional GDP")
        verbose_name_plural = _("regional GDP")
        ordering = ["region__path", "-year"]
        constraints = [models.UniqueConstraint(fields=["region", "year"], name="gdp_one_per_region_year")]

    def __str__(self):
        return f"{self.region} {self.year}"

    def get_absolute_url(self):
        return reverse("analysis:gdp_list")


class EnterpriseCube(Cube):
    """Operating enterprises and their employees by region tier, industry division (or all) and flags, as now:
    the denominators of the insurance coverage of key (≥ 80 %) and dust (≥ 90 %) industries."""

    enterprises = models.PositiveIntegerField(default=0)
    employees = models.BigIntegerField(default=0)

    class Meta:
        indexes = [models.Index(fields=["tier", "region", "industry"], name="enterprisecube_region")]


class InsuranceCube(Cube):
    """Insured employees, enterprises, premium and payout by region tier, industry division (or all) and quarter:
    the denominators of the incidence rates and the coverage figures."""

    year = models.PositiveSmallIntegerField()
    quarter = models.PositiveSmallIntegerField()
    enterprises = models.PositiveIntegerField(default=0)
    insured = models.BigIntegerField(default=0)
    premium_paid = models.DecimalField(max_digits=18, decimal_places=2, default=0)
    fund_payout = models.DecimalField(max_digits=18, decimal_places=2, default=0)

    class Meta:
        verbose_name = _("insurance summary")
        verbose_name_plural = _("insurance summaries")
        indexes = [
            models.Index(fields=["tier", "region", "industry", "year", "quarter"], name="insurancecube_region"),
            models.Index(fields=["tier", "parent", "industry", "year", "quarter"], name="insurancecube_parent"),
            models.Index(fields=["year", "quarter"], name="insurancecube_quarter"),
        ]

    def __str__(self):
        return f"{self.year}Q{self.quarter} tier {self.tier} region {self.region_id} industry {self.industry_id}"


class CubeState(models.Model):
    """When each summary table was last rebuilt whole (shown on the dashboard: figures as of …)."""

    name = models.CharField(max_length=40, unique=True)
    rebuilt_at = models.DateTimeField(null=True)
    refreshed_at = models.DateTimeField(null=True)

    def __str__(self):
        return self.name


class TargetMetric(models.TextChoices):
    KEY_INCIDENCE = "key_incidence", _("Work-injury incidence of key industries")
    INCIDENCE = "incidence", _("Work-injury incidence of all industries")


class Target(models.Model):
    """A reduction target for a rate: ``reduction_percent`` below the ``baseline_year`` rate by the end of
    ``target_year``. The national default (no region) is the five-year plans' key-industry −20 % over 2021–2025
    against 2020; a region may set its own (Yongkang, seed 004: −60 % against 2019 by the end of 2022)."""

    region = models.ForeignKey(
        "reference.Region",
        verbose_name=_("region"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Empty: the national default."),
    )
    owner_agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("set by"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    metric = models.CharField(_("measure"), max_length=20, choices=TargetMetric.choices)
    baseline_year = models.PositiveSmallIntegerField(_("baseline year"))
    target_year = models.PositiveSmallIntegerField(_("target year"))
    reduction_percent = models.DecimalField(
        _("reduction (%)"),
        max_digits=4,
        decimal_places=1,
        validators=[MinValueValidator(Decimal("0.1")), MaxValueValidator(Decimal("99.9"))],
    )
    source = models.CharField(_("source"), max_length=200, blank=True, help_text=_("The notice that sets it."))
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = _("target")
        verbose_name_plural = _("targets")
        ordering = ["region__path", "metric", "target_year"]
        constraints = [
            models.UniqueConstraint(fields=["region", "metric", "target_year"], name="target_one_per_region_year"),
            models.CheckConstraint(
                condition=models.Q(target_year__gt=models.F("baseline_year")), name="target_after_baseline"
            ),
        ]

    def __str__(self):
        where = self.region.name if self.region_id else _("national")
        return f"{where} {self.get_metric_display()} {self.target_year} −{self.reduction_percent}%"

    def get_absolute_url(self):
        return reverse("analysis:target_list")

    def clean(self):
        super().clean()
        if self.baseline_year and self.target_year and self.target_year <= self.baseline_year:
            raise ValidationError({"target_year": _("The target year must come after the baseline year.")})

    @classmethod
    def scope_visible(cls, qs, user):
        """The targets that apply to the user's region (national, and those of the regions above it) and those of
        the regions under it."""
        region = getattr(user, "region", None)
        if region is None:
            return qs if user.has_perm("analysis.view_statistics") else qs.none()
        return qs.filter(
            models.Q(region__isnull=True)
            | models.Q(region__path__in=region.ancestor_paths(include_self=True))
            | models.Q(region__path__startswith=region.path)
        )

    @classmethod
    def scope_editable(cls, qs, user):
        return qs.filter(owner_agency_id=user.agency_id) if getattr(user, "agency_id", None) else qs.none()
