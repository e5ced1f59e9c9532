from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ExchangeConfig(AppConfig):
    """The quarterly data exchange (DESIGN §3.4): obligations, confirmed and locked quarters, consolidated reports."""

    name = "portal.exchange"
    label = "exchange"
    verbose_name = _("Quarterly data exchange")

    def ready(self):
        from portal import locks, todos

        from . import tasks  # noqa: F401 - the jobs beat sends by name
        from .models import locked_quarters
        from .todo import exchange_todos

        locks.register(locked_quarters)
        todos.register(exchange_todos)
