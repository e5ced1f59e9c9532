from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    """The joint meeting (联席会议, DESIGN §3.5): committee and members, meetings, action items, opinion
    solicitations and the key task list."""

    name = "meetings"
    verbose_name = _("Joint meeting")

    def ready(self):
        from portal import todos

        from . import tasks  # noqa: F401 - the jobs beat sends by name
        from .todo import meetings_todos

        todos.register(meetings_todos)
