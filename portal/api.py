"""REST API bases: scoped viewsets that write through services, and serializers that run model validation."""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import permissions, renderers, serializers, viewsets
from rest_framework.exceptions import ValidationError

from portal.api_policy import Pagination, RolePermission
from portal.permissions import record_denial_if_exists
from portal.services import create_object, delete_object, update_object


class ScopedViewSetMixin:
    """Reads from ``visible_to``, writes from ``editable_by``; out of scope → 404; writes call services."""

    def get_queryset(self):
        qs = super().get_queryset()
        if self.request.method in permissions.SAFE_METHODS:
            return qs.visible_to(self.request.user)
        return qs.editable_by(self.request.user)

    def get_object(self):
        try:
            return super().get_object()
        except Http404:
            lookup = {self.lookup_field: self.kwargs.get(self.lookup_url_kwarg or self.lookup_field)}
            record_denial_if_exists(self.queryset.model, self.request.user, lookup, action=self.request.method)
            raise

    def input(self, serializer_class, data=None):
        """Validate an action's input with its small serializer (HackSoft); its errors are a 400 naming the field."""
        serializer = serializer_class(
            data=self.request.data if data is None else data, context=self.get_serializer_context()
        )
        serializer.is_valid(raise_exception=True)
        return serializer.validated_data

    def get_serializer_context(self):
        ctx = super().get_serializer_context()
        if self.request is not None and self.request.method == "POST" and getattr(self, "action", None) == "create":
            ctx["server_fields"] = self.create_extra()
        return ctx

    def perform_create(self, serializer):
        serializer.instance = create_object(
            actor=self.request.user,
            model=self.queryset.model,
            data=dict(serializer.validated_data),
            **self.create_extra(),
        )

    def create_extra(self) -> dict:
        """Fields the server sets on create (owner agency, enterprise …), never the client."""
        return {}

    def perform_update(self, serializer):
        instance = self.queryset.model.objects.get(pk=serializer.instance.pk)
        serializer.instance = update_object(
            actor=self.request.user, instance=instance, data=dict(serializer.validated_data)
        )

    def perform_destroy(self, instance):
        delete_object(actor=self.request.user, instance=instance)


class ScopedModelViewSet(ScopedViewSetMixin, viewsets.ModelViewSet):
    pass


class ScopedReadOnlyViewSet(ScopedViewSetMixin, viewsets.ReadOnlyModelViewSet):
    pass


class ModelCleanSerializer(serializers.ModelSerializer):
    """Runs the model's ``full_clean()`` so the API gives the same Chinese field errors as the forms."""

    def validate(self, attrs):
        attrs = super().validate(attrs)
        model = self.Meta.model
        instance = model(**{k: v for k, v in attrs.items() if not model._meta.get_field(k).many_to_many})
        if self.instance is not None:
            for field in model._meta.concrete_fields:
                if field.name not in attrs:
                    setattr(instance, field.attname, getattr(self.instance, field.attname))
            instance._state.adding = False  # the stored row: its own unique values are not a clash
        for name, value in self.context.get("server_fields", {}).items():
            setattr(instance, name, value)
        try:
            instance.full_clean(exclude=self.clean_exclude(), validate_unique=True)
        except DjangoValidationError as exc:
            raise ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages) from exc
        return attrs

    def clean_exclude(self) -> list[str]:
        return []


__all__ = ["Pagination", "RolePermission", "ScopedModelViewSet", "ScopedReadOnlyViewSet", "ModelCleanSerializer"]


class DownloadRenderer(renderers.BaseRenderer):
    """Lets a client that asks for the file's own type (``Accept: application/pdf`` …) reach a download action; an
    error is still a JSON body."""

    media_type = "*/*"
    format = "file"
    charset = None
    render_style = "binary"

    def render(self, data, accepted_media_type=None, renderer_context=None):
        return renderers.JSONRenderer().render(data, "application/json", renderer_context)
