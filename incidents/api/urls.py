from rest_framework.routers import DefaultRouter

from .views import InjuryCaseViewSet

router = DefaultRouter()
router.register("injury-cases", InjuryCaseViewSet)
urlpatterns = router.urls
