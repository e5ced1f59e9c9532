"""Enterprises (用人单位台账): the employers every agency records and every case belongs to."""

from collections import defaultdict

from django.apps import apps
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import connection, models, transaction
from django.utils.translation import gettext_lazy as _

from portal.links import DetailUrlMixin
from portal.locks import DataKind, Facet
from portal.permissions import ScopedQuerySet
from portal.reference.models import (
    SCOPE_TIERS,
    industry_flag_q,
    industry_flag_rules,
    is_industry_flagged,
    region_tiers,
    risk_class_for,
)
from portal.reference.validators import validate_credit_code


class EnterpriseScale(models.TextChoices):
    """Enterprise size (工信部联企业〔2011〕300号)."""

    LARGE = "large", _("Large")
    MEDIUM = "medium", _("Medium")
    SMALL = "small", _("Small")
    MICRO = "micro", _("Micro")


class EnterpriseStatus(models.TextChoices):
    OPERATING = "operating", _("Operating")
    SUSPENDED = "suspended", _("Suspended")
    CLOSED = "closed", _("Deregistered")


class EnterpriseQuerySet(ScopedQuerySet):
    def in_region(self, region):
        return self.filter(region__path__startswith=region.path)

    def in_industry(self, industry):
        return self.filter(industry__path__startswith=industry.path)

    def flagged(self, kind: str, region=None):
        """Enterprises whose industry is flagged ``kind`` ("key" 重点行业 / "dust" 涉尘行业) under ``region``'s
        rules (nearest region first, national rules otherwise)."""
        return self.filter(industry_flag_q(kind, region, field="industry__code"))


class Enterprise(DetailUrlMixin, models.Model):
    """An employer (用人单位), identified by its unified social credit code (GB 32100)."""

    detail_url_name = "enterprises:enterprise_detail"

    credit_code = models.CharField(
        _("unified social credit code"), max_length=18, unique=True, validators=[validate_credit_code]
    )
    name = models.CharField(_("name"), max_length=200, db_index=True)
    region = models.ForeignKey(
        "reference.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="enterprises"
    )
    industry = models.ForeignKey(
        "reference.Industry", verbose_name=_("industry"), on_delete=models.PROTECT, related_name="enterprises"
    )
    address = models.CharField(_("address"), max_length=200, blank=True)
    scale = models.CharField(_("scale"), max_length=10, choices=EnterpriseScale.choices, blank=True)
    employees = models.PositiveIntegerField(_("employees"), null=True, blank=True)
    legal_representative = models.CharField(_("legal representative"), max_length=50, blank=True)
    safety_contact_name = models.CharField(_("safety officer"), max_length=50, blank=True)
    safety_contact_phone = models.CharField(_("safety officer phone"), max_length=40, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=EnterpriseStatus.choices, default=EnterpriseStatus.OPERATING
    )
    owner_agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("owning agency"), on_delete=models.PROTECT, related_name="enterprises"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = EnterpriseQuerySet.as_manager()
    scope_region = "region"
    scope_owner = "owner_agency"
    scope_enterprise = "pk"

    class Meta:
        verbose_name = _("enterprise")
        verbose_name_plural = _("enterprises")
        ordering = ["name"]
        indexes = [models.Index(fields=["region", "name"]), models.Index(fields=["industry", "name"])]

    def __str__(self):
        return self.name

    def save(self, *args, **kwargs):
        self.credit_code = (self.credit_code or "").strip().upper()
        moved = (
            self.pk is not None
            and not self._state.adding
            and Enterprise.objects.filter(pk=self.pk)
            .exclude(region_id=self.region_id, industry_id=self.industry_id)
            .exists()
        )
        # One transaction: what waits for the commit (the statistics' refresh) sees the records moved already.
        with transaction.atomic():
            super().save(*args, **kwargs)
            if moved:  # its records now count under another province, city, county or industry
                sync_tiers([self.pk])

    def clean(self):
        super().clean()
        errors = enterprise_errors(self.industry if self.industry_id else None, self.region if self.region_id else None)
        if errors:
            raise ValidationError(errors)

    def is_flagged(self, kind: str) -> bool:
        """Key (重点行业) or dust (涉尘行业) industry, by the rules of the enterprise's own region."""
        return is_industry_flagged(self.industry.code, kind, self.region, rules=industry_flag_rules(kind, self.region))

    @property
    def is_key_industry(self) -> bool:
        return self.is_flagged("key")

    @property
    def is_dust_industry(self) -> bool:
        return self.is_flagged("dust")

    @property
    def risk_class(self):
        return risk_class_for(self.industry)


def enterprise_errors(industry, region) -> dict:
    """Field errors of an enterprise's industry and region levels (forms, API and imports share them)."""
    errors = {}
    if industry is not None and industry.level != "class":
        errors["industry"] = [_("Choose an industry class (the four-digit GB/T 4754 code).")]
    if region is not None and region.level not in ("county", "town", "zone"):
        errors["region"] = [_("Choose a county, a town or street, or a user-defined zone.")]
    return errors


class EnterpriseRecord(models.Model):
    """Base of every record about one enterprise that a member agency enters: the agency owns it (only it
    edits), every agency whose region contains the enterprise reads it, the enterprise's officer sees it."""

    owner_agency = models.ForeignKey(
        "accounts.Agency", verbose_name=_("owning agency"), on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    objects = ScopedQuerySet.as_manager()
    scope_region = "enterprise__region"
    scope_owner = "owner_agency"
    scope_enterprise = "enterprise"

    class Meta:
        abstract = True


def _tier_field(verbose_name):
    return models.ForeignKey(
        "reference.Region",
        verbose_name=verbose_name,
        null=True,
        blank=True,
        editable=False,
        on_delete=models.PROTECT,
        related_name="+",
        db_index=False,  # the models' composite (tier, date, id) indexes lead with it
    )


class TieredRecord(EnterpriseRecord):
    """A record counted in millions (cases, accidents) that carries its enterprise's province, city and county as
    columns of its own: an agency's scope is then one indexed column read in the list's order (``county_id = 42
    ORDER BY occurred_at DESC``) instead of a join through the enterprise to a prefix match on the region path,
    which at ten million cases walks the date index through most of the table for a small county. It carries its
    enterprise's industry too, which the statistics' summary tables group by: a month's cases are then summed
    without a join to the million enterprises (``incidents.analysis.cubes``).

    Kept current by ``save()`` here, by the importers (``region_tiers``), by ``Enterprise.save()`` and the enterprise
    importer when an enterprise moves or changes industry (``sync_tiers``), and by ``manage.py sync_scope_tiers``
    after a bulk load or a change to the region tree."""

    province = _tier_field(_("province"))
    city = _tier_field(_("city"))
    county = _tier_field(_("county"))
    industry = models.ForeignKey(
        "reference.Industry",
        verbose_name=_("industry"),
        null=True,
        blank=True,
        editable=False,
        # A copy of the enterprise's industry, which the enterprise's own foreign key protects: no constraint to
        # check on every row of a ten-million-row table, and no scan of it when an industry code is deleted.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        db_index=False,
        related_name="+",
    )

    scope_tiers = SCOPE_TIERS

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        if self.enterprise_id and (
            self.county_id is None or self.industry_id is None or getattr(self, "_tiers_of", None) != self.enterprise_id
        ):
            region_id, self.industry_id = Enterprise.objects.filter(pk=self.enterprise_id).values_list(
                "region_id", "industry_id"
            ).first() or (None, None)
            self.province_id, self.city_id, self.county_id = region_tiers([region_id]).get(region_id, (None,) * 3)
            if kwargs.get("update_fields") is not None:
                kwargs["update_fields"] = {*kwargs["update_fields"], *PLACE_FIELDS}
        super().save(*args, **kwargs)
        self._tiers_of = self.enterprise_id

    @classmethod
    def from_db(cls, db, field_names, values):
        instance = super().from_db(db, field_names, values)
        instance._tiers_of = instance.__dict__.get("enterprise_id")
        return instance


def tier_indexes(date_field: str) -> list[models.Index]:
    """The indexes that serve a tiered model's lists in their default order within one province, city or county."""
    return [models.Index(fields=[tier, f"-{date_field}", "-id"]) for tier in SCOPE_TIERS]


# What a tiered record copies from its enterprise.
PLACE_FIELDS = (*SCOPE_TIERS, "industry")


def tiered_models() -> list[type[TieredRecord]]:
    return [m for m in apps.get_models() if issubclass(m, TieredRecord)]


def sync_tiers(enterprise_ids=None, *, missing_only: bool = False) -> int:
    """Set the province, city, county and industry of the records of these enterprises (all when None) from their
    enterprises as they are now; returns the rows changed. ``missing_only``: only the records that lack them.

    A few enterprises: one UPDATE per model and place by enterprise id. All of them: one UPDATE … FROM per model,
    joined to a temporary table of every region's tiers (set-based, minutes at ten million rows)."""
    models_ = tiered_models()
    if enterprise_ids is not None:
        places = Enterprise.objects.filter(pk__in=list(enterprise_ids)).values_list("pk", "region_id", "industry_id")
        places = list(places)
        tiers = region_tiers({r for _pk, r, _i in places})
        groups = defaultdict(list)
        for pk, region_id, industry_id in places:
            groups[(*tiers.get(region_id, (None,) * 3), industry_id)].append(pk)
        changed = 0
        for place, ids in groups.items():
            for model in models_:
                rows = model.objects.filter(enterprise_id__in=ids)
                if missing_only:
                    rows = rows.filter(models.Q(county__isnull=True) | models.Q(industry__isnull=True))
                changed += rows.update(**{f"{name}_id": value for name, value in zip(PLACE_FIELDS, place, strict=True)})
        return changed
    return _sync_all_tiers(models_, missing_only=missing_only)


def _sync_all_tiers(models_, *, missing_only: bool) -> int:
    region_ids = Enterprise.objects.values_list("region_id", flat=True).distinct()
    tiers = region_tiers(region_ids)
    quote = connection.ops.quote_name
    enterprise = quote(Enterprise._meta.db_table)
    changed = 0
    with connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMPORARY TABLE portal_scope_tiers "
            "(region_id bigint PRIMARY KEY, province_id bigint, city_id bigint, county_id bigint)"
        )
        try:
            cursor.executemany(
                "INSERT INTO portal_scope_tiers VALUES (%s, %s, %s, %s)", [(r, *t) for r, t in tiers.items()]
            )
            for model in models_:
                table = quote(model._meta.db_table)
                differs = " OR ".join(
                    [
                        *(f"{table}.{c}_id IS DISTINCT FROM m.{c}_id" for c in SCOPE_TIERS),
                        f"{table}.industry_id IS DISTINCT FROM e.industry_id",
                    ]
                )
                missing = f"{table}.county_id IS NULL OR {table}.industry_id IS NULL"
                cursor.execute(
                    f"UPDATE {table} SET province_id = m.province_id, city_id = m.city_id, county_id = m.county_id, "  # noqa: S608
                    f"industry_id = e.industry_id "
                    f"FROM {enterprise} e JOIN portal_scope_tiers m ON m.region_id = e.region_id "
                    f"WHERE {table}.enterprise_id = e.id AND ({missing if missing_only else differs})"
                )
                changed += cursor.rowcount
        finally:
            cursor.execute("DROP TABLE portal_scope_tiers")
    return changed


class InsuranceSnapshot(EnterpriseRecord):
    """Work-injury insurance figures of one enterprise for one quarter: the denominator of every incidence rate
    (insured employees) and the input of the floating-rate check (premium paid against fund payout)."""

    enterprise = models.ForeignKey(
        Enterprise, verbose_name=_("enterprise"), on_delete=models.CASCADE, related_name="insurance_snapshots"
    )
    year = models.PositiveSmallIntegerField(_("year"), validators=[MinValueValidator(2000), MaxValueValidator(2100)])
    quarter = models.PositiveSmallIntegerField(_("quarter"), validators=[MinValueValidator(1), MaxValueValidator(4)])
    insured_employees = models.PositiveIntegerField(_("insured employees"))
    premium_paid = models.DecimalField(
        _("premium paid (yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    fund_payout = models.DecimalField(
        _("fund payout (yuan)"), max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )

    quarter_facets = (Facet(DataKind.INSURANCE, quarter_fields=("year", "quarter")),)

    class Meta:
        verbose_name = _("insurance snapshot")
        verbose_name_plural = _("insurance snapshots")
        ordering = ["enterprise", "-year", "-quarter"]
        # A quarter's snapshots (the statistics' refresh of that quarter, the nightly rebuild's job for it).
        indexes = [models.Index(fields=["year", "quarter"], name="insurance_quarter")]
        constraints = [
            models.UniqueConstraint(fields=["enterprise", "year", "quarter"], name="insurance_one_per_quarter"),
            models.CheckConstraint(condition=models.Q(quarter__gte=1, quarter__lte=4), name="insurance_quarter_1_4"),
            models.CheckConstraint(
                condition=models.Q(premium_paid__gte=0, fund_payout__gte=0), name="insurance_amounts_not_negative"
            ),
        ]

    def __str__(self):
        return f"{self.enterprise} {self.year}Q{self.quarter}"

    def get_absolute_url(self):
        return self.enterprise.get_absolute_url()

    @property
    def payout_ratio(self):
        """支缴率: fund payout / premium paid (None without premium)."""
        return None if not self.premium_paid else self.fund_payout / self.premium_paid


class ProjectSector(models.TextChoices):
    HOUSING = "housing", _("Housing and municipal works")
    TRANSPORT = "transport", _("Transport")
    WATER = "water", _("Water conservancy")
    OTHER = "other", _("Other")


class ConstructionProject(DetailUrlMixin, EnterpriseRecord):
    """A construction project and its per-project work-injury insurance (建筑业按项目参加工伤保险), recorded by 住建 or
    交通运输: the general contractor, the site, the start date and, once insured, the policy's date, workers and
    premium. The quarterly exchange reports the share of the quarter's new projects that are insured."""

    detail_url_name = "enterprises:constructionproject_detail"

    enterprise = models.ForeignKey(
        Enterprise,
        verbose_name=_("general contractor"),
        on_delete=models.PROTECT,
        related_name="construction_projects",
    )
    name = models.CharField(_("project name"), max_length=200)
    permit_number = models.CharField(
        _("permit number"), max_length=60, unique=True, help_text=_("The construction permit or project code.")
    )
    sector = models.CharField(_("sector"), max_length=10, choices=ProjectSector.choices)
    region = models.ForeignKey(
        "reference.Region", verbose_name=_("site region"), on_delete=models.PROTECT, related_name="+"
    )
    contract_value = models.DecimalField(
        _("contract value (10,000 yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)]
    )
    workers = models.PositiveIntegerField(_("workers"))
    started_on = models.DateField(_("start date"))
    planned_end = models.DateField(_("planned completion"), null=True, blank=True)
    insured_on = models.DateField(
        _("insured on"), null=True, blank=True, help_text=_("Empty while the project is not insured.")
    )
    insured_workers = models.PositiveIntegerField(_("insured workers"), null=True, blank=True)
    premium = models.DecimalField(
        _("premium (yuan)"), max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )

    scope_region = "region"
    quarter_facets = (Facet(DataKind.PROJECT_INSURANCE, "started_on"),)

    class Meta:
        verbose_name = _("construction project")
        verbose_name_plural = _("construction projects")
        ordering = ["-started_on", "-id"]
        indexes = [models.Index(fields=["region", "started_on"]), models.Index(fields=["enterprise", "started_on"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(planned_end__isnull=True) | models.Q(planned_end__gte=models.F("started_on")),
                name="project_ends_after_start",
            ),
            models.CheckConstraint(
                condition=models.Q(insured_on__isnull=True) | models.Q(insured_workers__isnull=False),
                name="project_insured_has_workers",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_insured(self) -> bool:
        return self.insured_on is not None

    def clean(self):
        super().clean()
        errors = project_errors(
            region=self.region if self.region_id else None,
            started_on=self.started_on,
            planned_end=self.planned_end,
            insured_on=self.insured_on,
            insured_workers=self.insured_workers,
            workers=self.workers,
        )
        if errors:
            raise ValidationError(errors)


def project_errors(*, region, started_on, planned_end, insured_on, insured_workers, workers) -> dict:
    """Field errors of a construction project's cross-field rules (form, API and import share them)."""
    errors = {}
    if region is not None and region.level not in ("county", "town", "zone"):
        errors["region"] = [_("Choose a county, a town or street, or a user-defined zone.")]
    if started_on and planned_end and planned_end < started_on:
        errors["planned_end"] = [_("The planned completion must not be before the start.")]
    if insured_on and insured_workers is None:
        errors["insured_workers"] = [_("Give the number of insured workers of an insured project.")]
    if insured_workers is not None and insured_on is None:
        errors["insured_on"] = [_("Give the date the project was insured.")]
    if insured_workers is not None and workers is not None and insured_workers > workers:
        errors["insured_workers"] = [_("More insured workers than workers on the project.")]
    return errors
