"""API policy referenced from settings.REST_FRAMEWORK: deny-by-default permission, pagination, errors.

Kept apart from ``portal.api`` because DRF imports these classes while ``rest_framework.views`` loads.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import pagination, permissions
from rest_framework.exceptions import ValidationError

from portal import audit

METHOD_ACTIONS = {
    "GET": "view",
    "HEAD": "view",
    "OPTIONS": "view",
    "POST": "add",
    "PUT": "change",
    "PATCH": "change",
    "DELETE": "delete",
}


class Pagination(pagination.PageNumberPagination):
    """Page numbers with a capped count: ``count`` stops at 100,000 and ``count_capped`` says so."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500

    @property
    def django_paginator_class(self):
        from portal.pagination import CappedPaginator

        return CappedPaginator

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.page.paginator.is_capped
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_capped"] = {"type": "boolean", "example": False}
        return schema


class RolePermission(permissions.BasePermission):
    """Deny by default. An authenticated, active user needs the model permission the HTTP method maps to, or
    the view's ``required_permissions`` for the current action ({action: "app.codename"})."""

    def has_permission(self, request, view):
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        required = self.required(request, view)
        allowed = required is not None and user.has_perm(required)
        if not allowed:
            audit.record(actor=user, verb="denied", note=f"API {request.method} {request.path}")
        return allowed

    @staticmethod
    def required(request, view) -> str | None:
        action = getattr(view, "action", None)
        explicit = getattr(view, "required_permissions", {})
        if action in explicit:
            return explicit[action]
        queryset = getattr(view, "queryset", None)
        model = getattr(queryset, "model", None) or getattr(view, "model", None)
        verb = METHOD_ACTIONS.get(request.method)
        if model is None or verb is None:
            return None
        if action not in (None, "list", "retrieve", "create", "update", "partial_update", "destroy", "metadata"):
            return None  # custom @action without an explicit permission: refused
        return f"{model._meta.app_label}.{verb}_{model._meta.model_name}"


def exception_handler(exc, context):
    """Django ValidationErrors (model full_clean in services) become 400s with the same field messages."""
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, DjangoValidationError):
        exc = ValidationError(exc.message_dict if hasattr(exc, "error_dict") else exc.messages)
    return drf_exception_handler(exc, context)
