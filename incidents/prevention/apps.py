from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PreventionConfig(AppConfig):
    """The Yongkang loop (seed 004): a case's warning, the screening, notice letters, rectification reports,
    escalation, recognition and typical-case bulletins."""

    name = "incidents.prevention"
    label = "prevention"
    verbose_name = _("Warnings and rectification")

    def ready(self):
        from portal import todos

        from . import tasks  # noqa: F401 - the jobs beat sends by name
        from .todo import prevention_todos

        todos.register(prevention_todos)
