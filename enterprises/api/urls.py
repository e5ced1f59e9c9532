from rest_framework.routers import DefaultRouter

from .views import ConstructionProjectViewSet, EnterpriseViewSet, InsuranceSnapshotViewSet

router = DefaultRouter()
router.register("enterprises", EnterpriseViewSet)
router.register("insurance-snapshots", InsuranceSnapshotViewSet)
router.register("construction-projects", ConstructionProjectViewSet)
urlpatterns = router.urls
