"""Users, member agencies and login attempts.

A user holds exactly one role (``User.role``). The role decides the permission group (what the user may
do) and, through ``portal.permissions``, which rows the user may see (agency region subtree, own
enterprise, nothing for the three admin duties).
"""

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from portal.permissions import ScopedQuerySet


class AgencyKind(models.TextChoices):
    HRSS = "hrss", _("Human resources and social security")
    EMERGENCY = "emergency", _("Emergency management")
    HEALTH = "health", _("Health commission")
    HOUSING = "housing", _("Housing and urban-rural development")
    TRANSPORT = "transport", _("Transport")
    INDUSTRY = "industry", _("Industry and information technology")
    FINANCE = "finance", _("Finance")
    UNION = "union", _("Federation of trade unions")
    TAX = "tax", _("Taxation")
    POLICE = "police", _("Public security")
    MARKET = "market", _("Market regulation")
    SASAC = "sasac", _("State-owned assets supervision")
    WATER = "water", _("Water resources")
    OTHER = "other", _("Other")


class AgencyLevel(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    COUNTY = "county", _("County or district")
    TOWN = "town", _("Town or street")


class Agency(models.Model):
    """A member agency of a region's joint meeting (人社局, 应急管理局, …)."""

    name = models.CharField(_("name"), max_length=100)
    kind = models.CharField(_("kind"), max_length=16, choices=AgencyKind.choices)
    level = models.CharField(_("level"), max_length=10, choices=AgencyLevel.choices)
    region = models.ForeignKey(
        "reference.Region", verbose_name=_("region"), on_delete=models.PROTECT, related_name="agencies"
    )
    is_lead = models.BooleanField(
        _("lead agency"), default=False, help_text=_("The lead agency hosts the joint meeting's secretariat.")
    )
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    address = models.CharField(_("address"), max_length=200, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    objects = ScopedQuerySet.as_manager()
    scope_region = "region"

    class Meta:
        verbose_name = _("agency")
        verbose_name_plural = _("agencies")
        ordering = ["region__path", "kind", "name"]
        constraints = [
            models.UniqueConstraint(fields=["region", "name"], name="agency_unique_name_per_region"),
        ]

    def __str__(self):
        return self.name

    @classmethod
    def scope_visible(cls, qs, user):
        """Agency users see the agencies of their region subtree and of the regions above it; the system,
        security and audit administrators see all agencies (they manage accounts)."""
        if user.role in ADMIN_DUTIES:
            return qs
        if user.role in AGENCY_ROLES and user.agency_id:
            region = user.agency.region
            return qs.filter(
                models.Q(region__path__startswith=region.path) | models.Q(region__path__in=region.ancestor_paths())
            )
        return qs.none()

    @classmethod
    def scope_editable(cls, qs, user):
        return qs if user.role == Role.SYSTEM_ADMIN else qs.none()


class Role(models.TextChoices):
    AGENCY_STAFF = "agency_staff", _("Agency staff")
    AGENCY_ADMIN = "agency_admin", _("Agency administrator")
    SECRETARIAT = "secretariat", _("Joint-meeting secretariat")
    SAFETY_OFFICER = "safety_officer", _("Enterprise safety officer")
    EXPERT = "expert", _("Expert")
    SYSTEM_ADMIN = "system_admin", _("System administrator")
    SECURITY_ADMIN = "security_admin", _("Security administrator")
    AUDITOR = "auditor", _("Audit administrator")


AGENCY_ROLES = {Role.AGENCY_STAFF, Role.AGENCY_ADMIN, Role.SECRETARIAT}
ADMIN_DUTIES = {Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN, Role.AUDITOR}


class PortalUserManager(UserManager.from_queryset(ScopedQuerySet)):
    pass


class User(AbstractUser):
    """A person who logs in. One role per account, so no account can hold two of the three admin duties."""

    role = models.CharField(_("role"), max_length=20, choices=Role.choices)
    agency = models.ForeignKey(
        Agency, verbose_name=_("agency"), null=True, blank=True, on_delete=models.PROTECT, related_name="users"
    )
    enterprise = models.ForeignKey(
        "enterprises.Enterprise",
        verbose_name=_("enterprise"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="officers",
    )
    full_name = models.CharField(_("full name"), max_length=60, blank=True)
    title = models.CharField(_("job title"), max_length=60, blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    password_changed_at = models.DateTimeField(_("password changed at"), null=True, blank=True)
    locked_until = models.DateTimeField(_("locked until"), null=True, blank=True)

    objects = PortalUserManager()
    scope_region = "agency__region"

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["username"]
        permissions = [
            ("assign_role", _("Can assign roles")),
            ("unlock_user", _("Can unlock accounts")),
            ("view_security_policy", _("Can view the security policy and role permissions")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(role__in=sorted(AGENCY_ROLES)) | models.Q(agency__isnull=False),
                name="user_agency_role_needs_agency",
            ),
            models.CheckConstraint(
                condition=~models.Q(role=Role.SAFETY_OFFICER) | models.Q(enterprise__isnull=False),
                name="user_officer_needs_enterprise",
            ),
        ]

    def __str__(self):
        return self.full_name or self.username

    @classmethod
    def scope_visible(cls, qs, user):
        """The three admin duties see every account; an agency admin the accounts of the agency; others themselves."""
        if user.role in ADMIN_DUTIES:
            return qs
        if user.role == Role.AGENCY_ADMIN:
            return qs.filter(agency_id=user.agency_id)
        return qs.filter(pk=user.pk)

    @classmethod
    def scope_editable(cls, qs, user):
        if user.role in (Role.SYSTEM_ADMIN, Role.SECURITY_ADMIN):
            return qs
        if user.role == Role.AGENCY_ADMIN:
            return qs.filter(agency_id=user.agency_id, role=Role.AGENCY_STAFF)
        return qs.none()

    def save(self, *args, **kwargs):
        # Only the administrative roles use the Django admin; nobody is a superuser.
        self.is_staff = self.role in ADMIN_DUTIES or self.role == Role.AGENCY_ADMIN
        self.is_superuser = False
        super().save(*args, **kwargs)

    def clean(self):
        super().clean()
        if self.role in AGENCY_ROLES and not self.agency_id:
            raise ValidationError(
                {"agency": _("Agency staff, agency administrators and the secretariat need an agency.")}
            )
        if self.role == Role.SAFETY_OFFICER and not self.enterprise_id:
            raise ValidationError({"enterprise": _("A safety officer must be bound to one enterprise.")})
        if self.role == Role.SAFETY_OFFICER and self.agency_id:
            raise ValidationError({"agency": _("A safety officer belongs to an enterprise, not to an agency.")})
        if self.role in ADMIN_DUTIES and (self.agency_id or self.enterprise_id):
            raise ValidationError(
                {"role": _("System, security and audit administrators are not bound to an agency or enterprise.")}
            )
        if self.role == Role.SECRETARIAT and self.agency_id and not self.agency.is_lead:
            raise ValidationError({"agency": _("The secretariat sits at the lead agency.")})

    # --- derived facts used by permissions and templates -------------------------------------------------
    @property
    def region(self):
        if self.agency_id:
            return self.agency.region
        if self.enterprise_id:
            return self.enterprise.region
        return None

    @property
    def is_agency_user(self) -> bool:
        return self.role in AGENCY_ROLES

    @property
    def is_admin_duty(self) -> bool:
        return self.role in ADMIN_DUTIES

    @property
    def password_expires_at(self):
        days = settings.PASSWORD_EXPIRY_DAYS
        if not days or not self.password_changed_at:
            return None
        return self.password_changed_at + timedelta(days=days)

    @property
    def password_expired(self) -> bool:
        expires = self.password_expires_at
        return expires is not None and expires <= timezone.now()

    @property
    def is_locked(self) -> bool:
        return self.locked_until is not None and self.locked_until > timezone.now()


class LoginAttempt(models.Model):
    """One login attempt (success or failure), kept for the lock-out window and the security admin."""

    username = models.CharField(_("username"), max_length=150, db_index=True)
    succeeded = models.BooleanField(_("succeeded"))
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)

    class Meta:
        verbose_name = _("login attempt")
        verbose_name_plural = _("login attempts")
        ordering = ["-at"]
        indexes = [models.Index(fields=["username", "at"])]

    def __str__(self):
        return f"{self.username} {self.at:%Y-%m-%d %H:%M}"
