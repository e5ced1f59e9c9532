from rest_framework.routers import DefaultRouter

from .views import EnterpriseViewSet, InsuranceSnapshotViewSet

router = DefaultRouter()
router.register("enterprises", EnterpriseViewSet)
router.register("insurance-snapshots", InsuranceSnapshotViewSet)
urlpatterns = router.urls
