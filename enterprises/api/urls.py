from rest_framework.routers import DefaultRouter

from .views import EnterpriseViewSet

router = DefaultRouter()
router.register("enterprises", EnterpriseViewSet)
urlpatterns = router.urls
