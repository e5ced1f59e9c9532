"""The inbox."""

from django.contrib.auth.mixins import LoginRequiredMixin
from django.shortcuts import redirect
from django.views import View
from django.views.generic import ListView

from portal.permissions import get_visible_or_404

from . import services
from .models import Notification


class InboxView(LoginRequiredMixin, ListView):
    template_name = "notifications/inbox.html"
    paginate_by = 25
    context_object_name = "notifications"

    def get_queryset(self):
        qs = Notification.objects.visible_to(self.request.user)
        if self.request.GET.get("unread"):
            qs = qs.unread()
        return qs


class NotificationOpenView(LoginRequiredMixin, View):
    """Mark one notification read and follow its link."""

    def post(self, request, pk):
        n = get_visible_or_404(Notification, request.user, pk=pk)
        services.mark_read(user=request.user, notifications=Notification.objects.filter(pk=n.pk))
        return redirect(n.url or "notifications:inbox")


class MarkAllReadView(LoginRequiredMixin, View):
    def post(self, request):
        services.mark_read(user=request.user, notifications=Notification.objects.visible_to(request.user))
        return redirect("notifications:inbox")
