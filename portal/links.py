"""A record's page from its primary key alone, so that a list reverses the address once, not once per row.

A model names its detail view in ``detail_url_name`` and takes ``get_absolute_url`` from ``DetailUrlMixin``;
``DetailUrls`` then writes each record's address from one reversed address per model (``portal.tables`` uses it for
linked columns). A model with a ``get_absolute_url`` of its own is asked for it as usual.
"""

from __future__ import annotations

from django.urls import reverse


class DetailUrlMixin:
    detail_url_name: str

    def get_absolute_url(self):
        return reverse(self.detail_url_name, args=[self.pk])


_SENTINEL = 918273645546372819  # a key no table reaches, matched by the <int:pk> converter


class DetailUrls:
    """``obj.get_absolute_url()`` for the records of one rendering (the script prefix is the request's)."""

    def __init__(self):
        self._parts: dict[type, tuple[str, str] | None] = {}

    def __call__(self, obj) -> str | None:
        cls = type(obj)
        pk = obj.pk
        if type(pk) is not int or getattr(cls, "get_absolute_url", None) is not DetailUrlMixin.get_absolute_url:
            return obj.get_absolute_url()
        parts = self._parts.get(cls, False)
        if parts is False:
            url = reverse(cls.detail_url_name, args=[_SENTINEL])
            parts = self._parts[cls] = tuple(url.split(str(_SENTINEL))) if url.count(str(_SENTINEL)) == 1 else None
        if parts is None:
            return obj.get_absolute_url()
        return f"{parts[0]}{pk}{parts[1]}"
