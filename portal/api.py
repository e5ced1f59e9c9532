"""REST API bases: scoped viewsets that write through services, and serializers that run model validation."""

from __future__ import annotations

import copy
from operator import attrgetter

from django.core.exceptions import FieldDoesNotExist
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import models
from django.http import Http404
from rest_framework import ISO_8601, permissions, renderers, serializers, viewsets
from rest_framework.exceptions import ValidationError
from rest_framework.fields import SkipField
from rest_framework.relations import PKOnlyObject, PrimaryKeyRelatedField
from rest_framework.settings import api_settings

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


_FIELD_PROTOTYPES: dict[type, dict] = {}


class FastReadMixin:
    """Fields built once per class, and ``to_representation`` as DRF's with each field's way of reading its value
    worked out once per serializer (a list's rows share one child serializer) instead of once per row and field.

    DRF reads every field of every row through ``Field.get_attribute`` (a generic walk that handles dotted sources,
    mappings, callables and missing attributes) and then calls ``to_representation``; for a 50-row page of 20
    fields that machinery was a quarter of the list API's time. Here a field whose source is one concrete column or
    property of the model is read with ``attrgetter``, and a primary-key relation with its ``_id`` column (what
    DRF's pk-only optimisation reads too); any other field (dotted or ``*`` sources, methods, many-to-many) takes
    DRF's own path. The output is the same: ``tests/portal/test_fast_reads.py`` compares it with DRF's."""

    def get_fields(self):
        """ModelSerializer works its fields out from the model for every serializer made (0.6 ms for a case, on every
        request); they depend only on the class, so they are worked out once and copied (``_copy_field``): each
        serializer has fields of its own, so changing a field's queryset or label does not leak."""
        cls = type(self)
        prototype = _FIELD_PROTOTYPES.get(cls)
        if prototype is None:
            prototype = _FIELD_PROTOTYPES[cls] = super().get_fields()
        return {name: _copy_field(field) for name, field in prototype.items()}

    def to_representation(self, instance):
        plan = self.__dict__.get("_read_plan")
        if plan is None:
            plan = self._read_plan = [(field.field_name, *_reader(field)) for field in self._readable_fields]
        ret = {}
        for name, read, represent in plan:
            try:
                value = read(instance)
            except SkipField:
                continue
            ret[name] = None if value is None else represent(value)
        return ret


# Field classes whose whole state is their attributes: a copy of the attributes (lists and dicts copied too) is a
# field of its own, as DRF's deep copy (which calls ``__init__`` again with the original arguments) is, in a tenth of
# the time. Fields holding other fields (many=True relations, lists, nested serializers) are deep-copied.
_PLAIN_FIELDS = frozenset(
    {
        serializers.BooleanField,
        serializers.CharField,
        serializers.ChoiceField,
        serializers.DateField,
        serializers.DateTimeField,
        serializers.DecimalField,
        serializers.EmailField,
        serializers.FloatField,
        serializers.IntegerField,
        serializers.ReadOnlyField,
        serializers.TimeField,
        PrimaryKeyRelatedField,
    }
)


def _copy_field(field):
    if type(field) not in _PLAIN_FIELDS:
        return copy.deepcopy(field)
    twin = copy.copy(field)
    twin.__dict__ = {k: v.copy() if isinstance(v, list | dict) else v for k, v in field.__dict__.items()}
    return twin


def _same(value):
    return value


def _drf_read(field):
    """DRF's own reading of ``field`` (Serializer.to_representation's loop body), for the cases not sped up."""

    def read(instance):
        attribute = field.get_attribute(instance)
        return None if (attribute.pk if isinstance(attribute, PKOnlyObject) else attribute) is None else attribute

    return read


def _reader(field) -> tuple:
    """(read, represent) for ``field``: ``read(instance)`` gives the value (None for null), ``represent`` its output."""
    model = getattr(getattr(field.parent, "Meta", None), "model", None)
    attrs = field.source_attrs
    if model is None or len(attrs) != 1:
        return _drf_read(field), field.to_representation
    try:
        model_field = model._meta.get_field(attrs[0])
    except FieldDoesNotExist:
        model_field = None
    if model_field is None:
        # A property of the model (masked values …): read as DRF does, minus the walk; a method goes DRF's way.
        if isinstance(getattr(model, attrs[0], None), property):
            return attrgetter(attrs[0]), field.to_representation
        return _drf_read(field), field.to_representation
    if isinstance(field, PrimaryKeyRelatedField) and isinstance(model_field, models.ForeignKey):
        if field.use_pk_only_optimization() and field.pk_field is None and model_field.target_field.primary_key:
            return attrgetter(model_field.attname), _same
        return _drf_read(field), field.to_representation
    if model_field.concrete and not model_field.is_relation:
        return attrgetter(model_field.attname), _representer(field)
    return _drf_read(field), field.to_representation


def _representer(field):
    """``field.to_representation``, or for an ISO 8601 date-time field the same conversion without DRF's
    per-value look-ups of the format and the time zone (the zone is the request's, read once here)."""
    if not isinstance(field, serializers.DateTimeField):
        return field.to_representation
    if str(getattr(field, "format", api_settings.DATETIME_FORMAT)).lower() != ISO_8601:
        return field.to_representation
    zone = field.timezone if hasattr(field, "timezone") else field.default_timezone()
    if zone is None:
        return field.to_representation
    slow = field.to_representation

    def represent(value):
        if getattr(value, "tzinfo", None) is None:  # naive, or not a date-time: DRF's own rules
            return slow(value)
        text = value.astimezone(zone).isoformat()
        return text[:-6] + "Z" if text.endswith("+00:00") else text

    return represent


class ModelCleanSerializer(FastReadMixin, serializers.ModelSerializer):
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
