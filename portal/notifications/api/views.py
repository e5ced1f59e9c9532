from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.decorators import action
from rest_framework.response import Response

from portal.api import ScopedReadOnlyViewSet

from .. import services
from ..models import Notification


class NotificationSerializer(serializers.ModelSerializer):
    class Meta:
        model = Notification
        fields = ["id", "title", "body", "url", "level", "created_at", "read_at"]
        read_only_fields = fields


class NotificationViewSet(ScopedReadOnlyViewSet):
    """The caller's own inbox."""

    queryset = Notification.objects.all()
    serializer_class = NotificationSerializer
    filterset_fields = ["level"]
    required_permissions = {"mark_read": "notifications.view_notification"}

    @extend_schema(request=None, responses=inline_serializer("MarkRead", {"marked": serializers.IntegerField()}))
    @action(detail=True, methods=["post"], url_path="mark-read")
    def mark_read(self, request, pk=None):
        n = self.get_object()
        marked = services.mark_read(user=request.user, notifications=Notification.objects.filter(pk=n.pk))
        return Response({"marked": marked})

    def get_queryset(self):
        # A POST action reads through the visible scope too (one's own inbox).
        return Notification.objects.visible_to(self.request.user)
