from django.urls import reverse
from django.utils.translation import gettext as _

from portal.counts import cached
from portal.todos import TodoItem


def unread_notifications(user):
    unread = user.notifications.filter(read_at__isnull=True)
    count = cached(unread, unread.count)  # the same entry as the badge's
    if count:
        yield TodoItem(
            title=_("Unread messages in your inbox"), url=reverse("notifications:inbox") + "?unread=1", count=count
        )
