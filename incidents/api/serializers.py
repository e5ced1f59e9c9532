from rest_framework import serializers

from enterprises.models import Enterprise
from portal.api import ModelCleanSerializer

from ..models import InjuryCase


class InjuryCaseSerializer(ModelCleanSerializer):
    """Personal data goes in (write-only) and comes out masked; the ``unmask`` action shows it, audited."""

    worker_id_number = serializers.CharField(write_only=True)
    worker_name = serializers.CharField(write_only=True, max_length=50)
    worker_name_masked = serializers.CharField(source="masked_worker_name", read_only=True)
    worker_id_number_masked = serializers.CharField(source="masked_id_number", read_only=True)

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
        read_only_fields = ["sex", "birth_date", "owner_agency", "created_at", "updated_at"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        request = self.context.get("request")
        if request is not None and "enterprise" in self.fields:
            self.fields["enterprise"].queryset = Enterprise.objects.visible_to(request.user)

    def clean_exclude(self) -> list[str]:
        return ["worker_id_hash", "sex", "birth_date"]


class UnmaskInputSerializer(serializers.Serializer):
    reason = serializers.CharField(min_length=4, max_length=500)


class UnmaskedSerializer(serializers.Serializer):
    worker_name = serializers.CharField()
    worker_id_number = serializers.CharField()
