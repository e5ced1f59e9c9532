from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AnalysisConfig(AppConfig):
    """Statistics (工伤数据智控): summary tables kept in step with the cases, and the one service that reads
    them for the dashboard, the API, the reports and the warning engine."""

    name = "incidents.analysis"
    label = "analysis"
    verbose_name = _("Statistics")

    def ready(self):
        from portal import imports

        from . import signals, tasks  # noqa: F401 - receivers and the jobs they queue by name
        from .imports import RegionGDPImport

        imports.register(RegionGDPImport())
