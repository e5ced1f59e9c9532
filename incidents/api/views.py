from drf_spectacular.utils import extend_schema
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied
from rest_framework.response import Response

from portal.api import ScopedModelViewSet
from portal.permissions import may_record

from .. import services
from ..filters import InjuryCaseFilterSet, OccupationalDiseaseCaseFilterSet, SafetyAccidentFilterSet
from ..models import InjuryCase, OccupationalDiseaseCase, SafetyAccident
from .serializers import (
    InjuryCaseSerializer,
    OccupationalDiseaseCaseSerializer,
    SafetyAccidentSerializer,
    UnmaskedSerializer,
    UnmaskInputSerializer,
)


class IncidentViewSet(ScopedModelViewSet):
    """Create through the recording service (agency kind, scope, owner); update keeps links in scope."""

    def create_extra(self):
        return {"owner_agency": self.request.user.agency}

    def get_queryset(self):
        queryset = super().get_queryset()
        # A list shows the enterprise and accident type by id: no need to join and build them for every row.
        return queryset.select_related(None) if self.action == "list" else queryset

    def create(self, request, *args, **kwargs):
        # The agency-kind rule first: a 人社 clerk posting an accident is refused, not told about field errors.
        if not may_record(request.user, self.queryset.model):
            raise PermissionDenied
        return super().create(request, *args, **kwargs)

    def perform_create(self, serializer):
        model = self.queryset.model
        serializer.instance = services.record_incident(
            actor=self.request.user, model=model, data=dict(serializer.validated_data)
        )

    def perform_update(self, serializer):
        instance = self.queryset.model.objects.get(pk=serializer.instance.pk)
        serializer.instance = services.update_incident(
            actor=self.request.user, instance=instance, data=dict(serializer.validated_data)
        )


class UnmaskMixin:
    @extend_schema(request=UnmaskInputSerializer, responses=UnmaskedSerializer)
    @action(detail=True, methods=["post"])
    def unmask(self, request, pk=None):
        """The personal data in clear, for the owning agency, with a reason that goes into the audit trail."""
        case = self.get_object()
        data = UnmaskInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        reason = data.validated_data["reason"]
        return Response(services.unmask_personal_data(actor=request.user, case=case, reason=reason))


class InjuryCaseViewSet(UnmaskMixin, IncidentViewSet):
    queryset = InjuryCase.objects.select_related("enterprise", "accident_type")
    serializer_class = InjuryCaseSerializer
    filterset_class = InjuryCaseFilterSet
    ordering_fields = ["occurred_at", "recognized_on"]
    ordering = ["-occurred_at", "-id"]
    required_permissions = {"unmask": "incidents.unmask_injurycase"}


class OccupationalDiseaseCaseViewSet(UnmaskMixin, IncidentViewSet):
    queryset = OccupationalDiseaseCase.objects.select_related("enterprise", "disease")
    serializer_class = OccupationalDiseaseCaseSerializer
    filterset_class = OccupationalDiseaseCaseFilterSet
    ordering_fields = ["diagnosed_on", "exposure_years"]
    ordering = ["-diagnosed_on", "-id"]
    required_permissions = {"unmask": "incidents.unmask_occupationaldiseasecase"}


class SafetyAccidentViewSet(IncidentViewSet):
    queryset = SafetyAccident.objects.select_related("enterprise", "accident_type").prefetch_related("injury_cases")
    serializer_class = SafetyAccidentSerializer
    filterset_class = SafetyAccidentFilterSet
    ordering_fields = ["occurred_at", "deaths", "direct_loss"]
    ordering = ["-occurred_at", "-id"]
