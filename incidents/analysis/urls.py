from django.urls import path

from . import views

app_name = "analysis"
urlpatterns = [
    path("", views.DashboardView.as_view(), name="dashboard"),
    path("briefing/", views.BriefingView.as_view(), name="briefing"),
    path("enterprise/", views.EnterpriseStatisticsView.as_view(), name="enterprise"),
    path("targets/", views.TargetListView.as_view(), name="target_list"),
    path("gdp/", views.RegionGDPListView.as_view(), name="gdp_list"),
    path("gdp/add/", views.RegionGDPCreateView.as_view(), name="gdp_add"),
    path("gdp/<int:pk>/edit/", views.RegionGDPUpdateView.as_view(), name="gdp_edit"),
    path("targets/add/", views.TargetCreateView.as_view(), name="target_add"),
    path("targets/<int:pk>/edit/", views.TargetUpdateView.as_view(), name="target_edit"),
    path("targets/<int:pk>/delete/", views.TargetDeleteView.as_view(), name="target_delete"),
]
