"""API policy referenced from settings.REST_FRAMEWORK: deny-by-default permission, pagination, errors.

Kept apart from ``portal.api`` because DRF imports these classes while ``rest_framework.views`` loads.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.paginator import InvalidPage
from django.utils.translation import gettext_lazy as _
from rest_framework import pagination, permissions
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.utils.urls import remove_query_param, replace_query_param

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
    """Keyset pages when the ordering allows (``next``/``previous`` carry a signed ``cursor``), page numbers
    otherwise; ``count`` stops at 100,000 and ``count_capped`` says so. The response keeps the page-number shape
    (``count``, ``count_capped``, ``next``, ``previous``, ``results``), and ``?page=N`` keeps working within the
    cap. A cursor page runs no COUNT: ``count`` is the one taken when the list was opened (same filters)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    cursor_query_param = "cursor"
    cursor_query_description = _("Where the page starts: the opaque value of a next or previous link.")
    invalid_cursor_message = _("This page link is not valid for this list. Start again from the first page.")

    @property
    def django_paginator_class(self):
        from portal.pagination import KeysetPaginator

        return KeysetPaginator

    def paginate_queryset(self, queryset, request, view=None):
        self.request = request
        page_size = self.get_page_size(request)
        if not page_size:
            return None
        paginator = self.django_paginator_class(queryset, page_size, query=request.query_params)
        if paginator.cursor_invalid:
            raise ValidationError({self.cursor_query_param: [self.invalid_cursor_message]})
        page_number = self.get_page_number(request, paginator)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage as exc:
            raise NotFound(self.invalid_page_message.format(page_number=page_number, message=str(exc))) from exc
        # The browsable API's numbered controls only where pages have numbers.
        self.display_page_controls = paginator.ordering is None and paginator.num_pages > 1
        return list(self.page)

    def get_next_link(self):
        if self.page.next_cursor is None:
            return super().get_next_link() if self.page.number is not None else None
        return self._cursor_link(self.page.next_cursor)

    def get_previous_link(self):
        if self.page.previous_cursor is None:
            return super().get_previous_link() if self.page.number is not None else None
        return self._cursor_link(self.page.previous_cursor)

    def _cursor_link(self, cursor: str) -> str:
        url = remove_query_param(self.request.build_absolute_uri(), self.page_query_param)
        return replace_query_param(url, self.cursor_query_param, cursor)

    def get_paginated_response(self, data):
        response = super().get_paginated_response(data)
        response.data["count_capped"] = self.page.paginator.is_capped
        return response

    def get_paginated_response_schema(self, schema):
        schema = super().get_paginated_response_schema(schema)
        schema["properties"]["count_capped"] = {"type": "boolean", "example": False}
        schema["properties"]["next"]["example"] = f"http://api.example.org/accounts/?{self.cursor_query_param}=eyJv…"
        return schema

    def get_schema_operation_parameters(self, view):
        return [
            *super().get_schema_operation_parameters(view),
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": str(self.cursor_query_description),
                "schema": {"type": "string"},
            },
        ]


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
        # Every 400 is keyed: a message that names no field goes under "non_field_errors", as DRF's own do.
        from rest_framework.settings import api_settings

        exc = ValidationError(
            exc.message_dict if hasattr(exc, "error_dict") else {api_settings.NON_FIELD_ERRORS_KEY: exc.messages}
        )
    return drf_exception_handler(exc, context)
