from django.urls import path

from . import views

app_name = "notifications"
urlpatterns = [
    path("", views.InboxView.as_view(), name="inbox"),
    path("<int:pk>/open/", views.NotificationOpenView.as_view(), name="notification_open"),
    path("read-all/", views.MarkAllReadView.as_view(), name="mark_all_read"),
]
