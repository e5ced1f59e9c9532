from django.urls import reverse
from django.utils.translation import gettext as _

from portal.todos import TodoItem

from .services import unread_count


def unread_notifications(user):
    count = unread_count(user)  # the same entry as the badge's
    if count:
        yield TodoItem(
            title=_("Unread messages in your inbox"), url=reverse("notifications:inbox") + "?unread=1", count=count
        )
