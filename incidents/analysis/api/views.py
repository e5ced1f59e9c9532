"""The statistics as JSON: the same selection (period, region, industry) and scope as the dashboard."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import get_language
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import APIView

from portal import counts

from ..forms import SelectionForm
from ..models import CubeState
from ..stats import Stats, source_tables


def _json(value):
    if isinstance(value, Decimal):
        return str(value)
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_json(v) for v in value]
    if hasattr(value, "strftime"):
        return value.strftime("%Y-%m")
    return value


class StatisticsView(APIView):
    """Totals with rates and changes, the monthly trend, and breakdowns by child region and industry."""

    required_permissions = {None: "analysis.view_statistics"}

    @extend_schema(
        parameters=[
            OpenApiParameter("start", str, description="First month, 2025-01 (default: January of this year)"),
            OpenApiParameter("end", str, description="Last month, 2025-12 (default: this month)"),
            OpenApiParameter("region", int, description="Region id (default: the user's own region)"),
            OpenApiParameter("industry", int, description="Industry section or division id"),
            OpenApiParameter("flag", str, enum=["key", "dust"], description="Key or dust industries of the region"),
            OpenApiParameter("granularity", str, enum=["month", "quarter", "year"], description="Trend periods"),
        ],
        responses=dict,
    )
    def get(self, request):
        form = SelectionForm(request.query_params, user=request.user)
        if not form.is_valid():
            raise ValidationError(form.errors)
        selection = form.selection()
        granularity = form.cleaned_data.get("granularity") or "month"
        # One cache entry for the whole answer (until a table it is read from changes): one round trip instead of
        # one per figure.
        key = ("analysis.api", selection.key(), granularity, get_language())
        return Response(counts.cached_result(key, source_tables(), lambda: self.figures(selection, granularity)))

    @staticmethod
    def figures(selection, granularity: str) -> dict:
        stats = Stats(selection)
        state = CubeState.objects.filter(name="injury").first()
        return _json(
            {
                "selection": {
                    "start": selection.start,
                    "end": selection.end,
                    "region": selection.region.pk if selection.region else None,
                    "region_name": selection.region.name if selection.region else "",
                    "industry": selection.industry.pk if selection.industry else None,
                    "flag": selection.flag,
                },
                "summary": stats.summary(),
                "trend": stats.trend(granularity),
                "by_region": stats.by_region(),
                "by_industry": stats.by_industry(),
                "by_accident_type": stats.by_accident_type(),
                "by_post": stats.by_post(),
                "by_severity": stats.by_severity(),
                "diseases": stats.diseases(),
                "coverage": stats.coverage(),
                "ranking": stats.ranking(),
                "as_of": state.refreshed_at.isoformat() if state and state.refreshed_at else None,
            }
        )
