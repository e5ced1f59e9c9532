"""Incidents (事故、工伤与职业病): work-injury cases recorded by 人社, and later occupational-disease cases and
safety accidents. Personal data (ID numbers) is encrypted at rest and masked on every way out."""

from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from enterprises.models import TieredRecord, tier_indexes
from portal.crypto import EncryptedTextField, blind_index, mask_id_number, mask_name
from portal.links import DetailUrlMixin
from portal.locks import DataKind, Facet
from portal.permissions import ScopedQuerySet
from portal.reference.models import (
    AccidentGradeLevel,
    AccidentTypeKind,
    accident_grade,
    disease_catalogue_for,
    gb6441_edition_for,
)
from portal.reference.validators import normalize_id_number, parse_id_number, validate_id_number


class Severity(models.TextChoices):
    MINOR = "minor", _("Minor injury")
    SERIOUS = "serious", _("Serious injury")
    FATAL = "fatal", _("Death")


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


def accident_errors(occurred_at, accident_type, *, day=None) -> dict:
    """Field errors of an accident's time and type: not in the future, and a basic type of the GB 6441 edition
    in force on that date (``day``: the local date of ``occurred_at`` if the caller has it)."""
    errors = {}
    if occurred_at and occurred_at > timezone.now():
        errors["occurred_at"] = [_("The accident cannot lie in the future.")]
    if occurred_at and accident_type is not None:
        edition = gb6441_edition_for(day or timezone.localdate(occurred_at))
        if accident_type.edition != edition or accident_type.kind != AccidentTypeKind.TYPE:
            errors["accident_type"] = [
                _("For an accident on this date choose a type of %(edition)s.")
                % {"edition": "GB 6441-2025" if edition == 2025 else "GB/T 6441-1986"}
            ]
    return errors


class CaseQuerySet(ScopedQuerySet):
    def with_id_number(self, number: str):
        """Exact search by ID number through the blind index (the number itself is never in the database)."""
        return self.filter(worker_id_hash=blind_index(normalize_id_number(number)))


class InjuryCaseQuerySet(CaseQuerySet):
    def in_period(self, start, end):
        return self.filter(occurred_at__gte=start, occurred_at__lt=end)


def worker_indexes() -> list[models.Index]:
    """A worker case's index for exact search by ID number (its blind index)."""
    return [models.Index(fields=["worker_id_hash"])]


class WorkerCase(TieredRecord):
    """A case about one worker of one enterprise: the worker's personal data, encrypted and masked."""

    enterprise = models.ForeignKey("enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT)
    worker_name = models.CharField(_("injured worker"), max_length=50)
    worker_id_number = EncryptedTextField(_("ID number"))
    # Indexed by the concrete models (``worker_indexes``): as a field index it would also get a text-pattern index,
    # of no use to a hash that is only ever compared whole.
    worker_id_hash = models.CharField(max_length=64, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, editable=False)
    birth_date = models.DateField(_("birth date"), editable=False)

    # What the audit trail may record of personal fields: masked values only.
    audit_masks = {"worker_id_number": mask_id_number, "worker_name": mask_name, "worker_id_hash": lambda v: "…"}
    # The fields the owning agency may show in clear (audited).
    personal_fields = ("worker_name", "worker_id_number")

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        self.derive_personal_fields()
        super().save(*args, **kwargs)

    def derive_personal_fields(self) -> None:
        """Blind index, birth date and sex from the ID number (bulk imports call this instead of save())."""
        self.worker_id_number = normalize_id_number(self.worker_id_number or "")
        self.worker_id_hash = blind_index(self.worker_id_number)
        self.birth_date, self.sex = parse_id_number(self.worker_id_number, validate=False)

    def clean(self):
        super().clean()
        if self.worker_id_number:
            self.worker_id_number = normalize_id_number(self.worker_id_number)
            try:
                validate_id_number(self.worker_id_number)
            except ValidationError as exc:
                raise ValidationError({"worker_id_number": exc.messages}) from exc

    @property
    def masked_worker_name(self) -> str:
        return mask_name(self.worker_name)

    @property
    def masked_id_number(self) -> str:
        return mask_id_number(self.worker_id_number)


class InjuryCase(DetailUrlMixin, WorkerCase):
    """A work-injury case (工伤): who was hurt, where, how, how badly, and its recognition and payout."""

    detail_url_name = "incidents:injurycase_detail"

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="injury_cases",
        db_index=False,  # the (enterprise, occurred_at) index leads with it
    )
    occurred_at = models.DateTimeField(_("time of the accident"), db_index=True)
    place = models.CharField(_("place"), max_length=200, blank=True)
    accident_type = models.ForeignKey(
        "reference.AccidentType", verbose_name=_("accident type"), on_delete=models.PROTECT, related_name="+"
    )
    cause = models.TextField(_("cause"), blank=True)
    post = models.CharField(_("post"), max_length=60, help_text=_("The job position, e.g. 冲压工."))
    hire_date = models.DateField(_("hire date"), null=True, blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices)
    lost_workdays = models.PositiveIntegerField(_("lost workdays"), default=0)
    recognized_on = models.DateField(_("recognition date"), null=True, blank=True)
    disability_grade = models.PositiveSmallIntegerField(
        _("disability grade"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1), MaxValueValidator(10)],
        help_text=_("1 (most severe) to 10; empty if not assessed."),
    )
    fund_payout = models.DecimalField(
        _("fund payout (yuan)"), max_digits=14, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )

    objects = InjuryCaseQuerySet.as_manager()
    # What the quarterly exchange locks once 人社 confirms a quarter: the case by the quarter it happened in, its
    # recognition (date, grade, payout) by the quarter it was recognised in.
    quarter_facets = (
        Facet(DataKind.INJURY_CASES, "occurred_at"),
        Facet(DataKind.RECOGNITIONS, "recognized_on", fields=("recognized_on", "disability_grade", "fund_payout")),
    )

    class Meta:
        verbose_name = _("work-injury case")
        verbose_name_plural = _("work-injury cases")
        ordering = ["-occurred_at", "-id"]
        indexes = [models.Index(fields=["enterprise", "occurred_at"]), *tier_indexes("occurred_at"), *worker_indexes()]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(disability_grade__isnull=True)
                | models.Q(disability_grade__gte=1, disability_grade__lte=10),
                name="injurycase_disability_grade_1_10",
            ),
        ]
        permissions = [("unmask_injurycase", _("Can show the personal data of work-injury cases"))]

    def __str__(self):
        return f"{timezone.localtime(self.occurred_at):%Y-%m-%d} {self.enterprise} {mask_name(self.worker_name)}"

    def clean(self):
        errors = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors.update(exc.message_dict)
        errors.update(
            injury_case_errors(
                occurred_at=self.occurred_at,
                accident_type=self.accident_type if self.accident_type_id else None,
                hire_date=self.hire_date,
                recognized_on=self.recognized_on,
                severity=self.severity,
                disability_grade=self.disability_grade,
            )
        )
        if errors:
            raise ValidationError(errors)


def injury_case_errors(
    *, occurred_at, accident_type, hire_date, recognized_on, severity, disability_grade, day=None
) -> dict:
    """Field errors of a work-injury case's cross-field rules (the form, the API and imports share them). ``day``:
    the local date of ``occurred_at`` if the caller has it."""
    occurred = day or (timezone.localdate(occurred_at) if occurred_at else None)
    errors = accident_errors(occurred_at, accident_type, day=occurred)
    if occurred and hire_date and hire_date > occurred:
        errors["hire_date"] = [_("The hire date must not be after the accident.")]
    if occurred and recognized_on and recognized_on < occurred:
        errors["recognized_on"] = [_("Recognition cannot come before the accident.")]
    if severity == Severity.FATAL and disability_grade:
        errors["disability_grade"] = [_("A fatal case has no disability grade.")]
    return errors


class OccupationalDiseaseCase(DetailUrlMixin, WorkerCase):
    """A new occupational-disease diagnosis (职业病, recorded by 卫健): the disease from the catalogue in force on
    the diagnosis date, the hazard and the years of exposure. The diagnosis text is encrypted like the ID."""

    detail_url_name = "incidents:occupationaldiseasecase_detail"

    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        on_delete=models.PROTECT,
        related_name="disease_cases",
        db_index=False,  # the (enterprise, diagnosed_on) index leads with it
    )
    disease = models.ForeignKey(
        "reference.OccupationalDisease",
        verbose_name=_("occupational disease"),
        on_delete=models.PROTECT,
        related_name="+",
    )
    diagnosis = EncryptedTextField(
        _("diagnosis"), blank=True, help_text=_("The wording of the diagnosis, e.g. 矽肺壹期.")
    )
    hazard_factor = models.CharField(_("hazard factor"), max_length=60, help_text=_("For example 矽尘 or 噪声."))
    exposure_start = models.DateField(_("exposure start"), null=True, blank=True)
    exposure_years = models.DecimalField(
        _("years of exposure"), max_digits=4, decimal_places=1, validators=[MinValueValidator(0)]
    )
    diagnosed_on = models.DateField(_("diagnosis date"), db_index=True)
    diagnosing_institution = models.CharField(_("diagnosing institution"), max_length=100, blank=True)

    objects = CaseQuerySet.as_manager()
    quarter_facets = (Facet(DataKind.DISEASE_CASES, "diagnosed_on"),)
    audit_masks = {**WorkerCase.audit_masks, "diagnosis": lambda v: "***"}
    personal_fields = ("worker_name", "worker_id_number", "diagnosis")

    class Meta:
        verbose_name = _("occupational-disease case")
        verbose_name_plural = _("occupational-disease cases")
        ordering = ["-diagnosed_on", "-id"]
        indexes = [
            models.Index(fields=["enterprise", "diagnosed_on"]),
            *tier_indexes("diagnosed_on"),
            *worker_indexes(),
        ]
        permissions = [
            ("unmask_occupationaldiseasecase", _("Can show the personal data of occupational-disease cases"))
        ]

    def __str__(self):
        return f"{self.diagnosed_on:%Y-%m-%d} {self.enterprise} {mask_name(self.worker_name)}"

    def clean(self):
        errors = {}
        try:
            super().clean()
        except ValidationError as exc:
            errors.update(exc.message_dict)
        errors.update(
            disease_case_errors(
                diagnosed_on=self.diagnosed_on,
                disease=self.disease if self.disease_id else None,
                exposure_start=self.exposure_start,
            )
        )
        if errors:
            raise ValidationError(errors)

    @property
    def is_short_exposure(self) -> bool:
        """Fewer than 5 years of exposure (seed 000 tracks the share of such new pneumoconiosis cases)."""
        return self.exposure_years < SHORT_EXPOSURE_YEARS


SHORT_EXPOSURE_YEARS = 5  # seed 000: the share of new pneumoconiosis cases with fewer years of exposure


def disease_case_errors(*, diagnosed_on, disease, exposure_start) -> dict:
    """Field errors of an occupational-disease case's cross-field rules (forms, API and imports share them)."""
    errors = {}
    if diagnosed_on and diagnosed_on > timezone.localdate():
        errors["diagnosed_on"] = [_("The diagnosis date cannot lie in the future.")]
    if diagnosed_on and disease is not None:
        version = disease_catalogue_for(diagnosed_on)
        if disease.catalogue_version != version:
            errors["disease"] = [
                _("For a diagnosis on this date choose a disease of the %(version)s catalogue.") % {"version": version}
            ]
    if exposure_start and diagnosed_on and exposure_start > diagnosed_on:
        errors["exposure_start"] = [_("Exposure cannot start after the diagnosis.")]
    return errors


class SafetyAccident(DetailUrlMixin, TieredRecord):
    """A production-safety accident (生产安全事故, recorded by 应急): casualties, direct loss, the 493号令 grade
    computed from them, and the work-injury cases it caused."""

    detail_url_name = "incidents:safetyaccident_detail"

    occurred_at = models.DateTimeField(_("time of the accident"), db_index=True)
    enterprise = models.ForeignKey(
        "enterprises.Enterprise", verbose_name=_("enterprise"), on_delete=models.PROTECT, related_name="accidents"
    )
    place = models.CharField(_("place"), max_length=200, blank=True)
    accident_type = models.ForeignKey(
        "reference.AccidentType", verbose_name=_("accident type"), on_delete=models.PROTECT, related_name="+"
    )
    summary = models.TextField(_("summary"), blank=True)
    deaths = models.PositiveIntegerField(_("deaths"), default=0)
    serious_injuries = models.PositiveIntegerField(
        _("serious injuries"), default=0, help_text=_("Including acute industrial poisoning.")
    )
    minor_injuries = models.PositiveIntegerField(_("minor injuries"), default=0)
    direct_loss = models.DecimalField(
        _("direct economic loss (yuan)"), max_digits=16, decimal_places=2, default=0, validators=[MinValueValidator(0)]
    )
    grade = models.CharField(_("grade"), max_length=24, choices=AccidentGradeLevel.choices, editable=False)
    injury_cases = models.ManyToManyField(
        InjuryCase, verbose_name=_("work-injury cases"), blank=True, related_name="safety_accidents"
    )

    quarter_facets = (Facet(DataKind.SAFETY_ACCIDENTS, "occurred_at"),)

    class Meta:
        verbose_name = _("safety accident")
        verbose_name_plural = _("safety accidents")
        ordering = ["-occurred_at", "-id"]
        indexes = tier_indexes("occurred_at")

    def __str__(self):
        return f"{timezone.localtime(self.occurred_at):%Y-%m-%d} {self.enterprise} {self.get_grade_display()}"

    def save(self, *args, **kwargs):
        self.grade = accident_grade(self.deaths, self.serious_injuries, self.direct_loss)
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        errors = {}
        errors.update(accident_errors(self.occurred_at, self.accident_type if self.accident_type_id else None))
        if errors:
            raise ValidationError(errors)
