from rest_framework import serializers

from enterprises.models import Enterprise
from portal.api import ModelCleanSerializer

from ..models import InjuryCase, OccupationalDiseaseCase, SafetyAccident

_PERSONAL_READ_ONLY = ["sex", "birth_date", "owner_agency", "created_at", "updated_at"]


class ScopedEnterpriseSerializer(ModelCleanSerializer):
    """Enterprise (and linked case) choices limited to what the caller can see."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is None or request.method in ("GET", "HEAD", "OPTIONS"):
            return  # a read builds no choices (and a list needs its fields built once, not here)
        if "enterprise" in self.fields:
            self.fields["enterprise"].queryset = Enterprise.objects.visible_to(request.user)
        if "injury_cases" in self.fields:
            self.fields["injury_cases"].child_relation.queryset = InjuryCase.objects.visible_to(request.user)


class PersonalDataSerializer(ScopedEnterpriseSerializer):
    """Personal data goes in (write-only) and comes out masked; the ``unmask`` action shows it, audited."""

    worker_id_number = serializers.CharField(write_only=True)
    worker_name = serializers.CharField(write_only=True, max_length=50)
    worker_name_masked = serializers.CharField(source="masked_worker_name", read_only=True)
    worker_id_number_masked = serializers.CharField(source="masked_id_number", read_only=True)

    def clean_exclude(self) -> list[str]:
        return ["worker_id_hash", "sex", "birth_date"]


class InjuryCaseSerializer(PersonalDataSerializer):
    class Meta:
        model = InjuryCase
        fields = [
            "id",
            "enterprise",
            "occurred_at",
            "place",
            "accident_type",
            "cause",
            "post",
            "worker_name",
            "worker_id_number",
            "worker_name_masked",
            "worker_id_number_masked",
            "sex",
            "birth_date",
            "hire_date",
            "severity",
            "lost_workdays",
            "recognized_on",
            "disability_grade",
            "fund_payout",
            "owner_agency",
            "created_at",
            "updated_at",
        ]
        read_only_fields = _PERSONAL_READ_ONLY


class OccupationalDiseaseCaseSerializer(PersonalDataSerializer):
    diagnosis = serializers.CharField(write_only=True, required=False, allow_blank=True)

    class Meta:
        model = OccupationalDiseaseCase
        fields = [
            "id",
            "enterprise",
            "worker_name",
            "worker_id_number",
            "worker_name_masked",
            "worker_id_number_masked",
            "sex",
            "birth_date",
            "disease",
            "diagnosis",
            "hazard_factor",
            "exposure_start",
            "exposure_years",
            "diagnosed_on",
            "diagnosing_institution",
            "owner_agency",
            "created_at",
            "updated_at",
        ]
        read_only_fields = _PERSONAL_READ_ONLY


class SafetyAccidentSerializer(ScopedEnterpriseSerializer):
    class Meta:
        model = SafetyAccident
        fields = [
            "id",
            "occurred_at",
            "enterprise",
            "place",
            "accident_type",
            "summary",
            "deaths",
            "serious_injuries",
            "minor_injuries",
            "direct_loss",
            "grade",
            "injury_cases",
            "owner_agency",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["grade", "owner_agency", "created_at", "updated_at"]

    def clean_exclude(self) -> list[str]:
        return ["grade"]


class UnmaskInputSerializer(serializers.Serializer):
    reason = serializers.CharField(min_length=4, max_length=500)


class UnmaskedSerializer(serializers.Serializer):
    worker_name = serializers.CharField()
    worker_id_number = serializers.CharField()
    diagnosis = serializers.CharField(required=False)
