from django.urls import path

from . import export_views as views

app_name = "exports"
urlpatterns = [
    path("", views.ExportListView.as_view(), name="export_list"),
    path("<int:pk>/download/", views.ExportDownloadView.as_view(), name="export_download"),
]
