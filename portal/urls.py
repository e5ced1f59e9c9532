from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from portal import api_views, views

admin.site.site_header = _("Work-injury prevention portal administration")
admin.site.site_title = _("Work-injury prevention portal")
admin.site.index_title = _("Administration")

portal_router = DefaultRouter()
portal_router.register("audit-events", api_views.AuditEventViewSet)
portal_router.register("regions", api_views.RegionViewSet, basename="region")
portal_router.register("industries", api_views.IndustryViewSet, basename="industry")
portal_router.register("imports", api_views.ImportBatchViewSet, basename="import")

api_v1 = [
    path("accounts/", include("portal.accounts.api.urls")),
    path("notifications/", include("portal.notifications.api.urls")),
    path("portal/", include(portal_router.urls)),
    path("enterprises/", include("enterprises.api.urls")),
    path("incidents/", include("incidents.api.urls")),
    path("analysis/", include("incidents.analysis.api.urls")),
    path("prevention/", include("incidents.prevention.api.urls")),
    path("exchange/", include("portal.exchange.api.urls")),
    path("meetings/", include("meetings.api.urls")),
]

urlpatterns = [
    path("", views.HomeView.as_view(), name="home"),
    path("healthz", views.healthz, name="healthz"),
    path("accounts/", include("portal.accounts.urls")),
    path("inbox/", include("portal.notifications.urls")),
    path("imports/", include("portal.import_urls")),
    path("exports/", include("portal.export_urls")),
    path("enterprises/", include("enterprises.urls")),
    path("incidents/", include("incidents.urls")),
    path("analysis/", include("incidents.analysis.urls")),
    path("prevention/", include("incidents.prevention.urls")),
    path("exchange/", include("portal.exchange.urls")),
    path("meetings/", include("meetings.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
    path("api/v1/", include((api_v1, "api"), namespace="api")),
    path("api/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]

handler403 = "portal.views.permission_denied"
handler404 = "portal.views.page_not_found"

if settings.DEBUG:
    urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
