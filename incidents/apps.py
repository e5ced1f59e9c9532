from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IncidentsConfig(AppConfig):
    name = "incidents"
    verbose_name = _("Incidents")

    def ready(self):
        from portal import imports

        from .imports import InjuryCaseImport, OccupationalDiseaseCaseImport, SafetyAccidentImport

        for spec in (InjuryCaseImport(), OccupationalDiseaseCaseImport(), SafetyAccidentImport()):
            imports.register(spec)
