from django.urls import path

from . import import_views as views

app_name = "imports"
urlpatterns = [
    path("", views.ImportListView.as_view(), name="import_list"),
    path("<str:kind>/upload/", views.ImportUploadView.as_view(), name="import_upload"),
    path("<str:kind>/template/", views.ImportTemplateView.as_view(), name="import_template"),
    path("<int:pk>/", views.ImportDetailView.as_view(), name="import_detail"),
    path("<int:pk>/confirm/", views.ImportConfirmView.as_view(), name="import_confirm"),
]
