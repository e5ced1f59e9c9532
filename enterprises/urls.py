from django.urls import path

from . import views

app_name = "enterprises"
urlpatterns = [
    path("", views.EnterpriseListView.as_view(), name="enterprise_list"),
    path("add/", views.EnterpriseCreateView.as_view(), name="enterprise_add"),
    path("<int:pk>/", views.EnterpriseDetailView.as_view(), name="enterprise_detail"),
    path("<int:pk>/edit/", views.EnterpriseUpdateView.as_view(), name="enterprise_edit"),
    path("<int:pk>/delete/", views.EnterpriseDeleteView.as_view(), name="enterprise_delete"),
    path("<int:pk>/insurance/add/", views.InsuranceSnapshotCreateView.as_view(), name="insurancesnapshot_add"),
    path("insurance/<int:pk>/edit/", views.InsuranceSnapshotUpdateView.as_view(), name="insurancesnapshot_edit"),
    path("insurance/<int:pk>/delete/", views.InsuranceSnapshotDeleteView.as_view(), name="insurancesnapshot_delete"),
    path("construction-projects/", views.ConstructionProjectListView.as_view(), name="constructionproject_list"),
    path("construction-projects/add/", views.ConstructionProjectCreateView.as_view(), name="constructionproject_add"),
    path(
        "construction-projects/<int:pk>/",
        views.ConstructionProjectDetailView.as_view(),
        name="constructionproject_detail",
    ),
    path(
        "construction-projects/<int:pk>/edit/",
        views.ConstructionProjectUpdateView.as_view(),
        name="constructionproject_edit",
    ),
    path(
        "construction-projects/<int:pk>/delete/",
        views.ConstructionProjectDeleteView.as_view(),
        name="constructionproject_delete",
    ),
]
