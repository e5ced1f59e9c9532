from rest_framework.routers import DefaultRouter

from .views import InjuryCaseViewSet, OccupationalDiseaseCaseViewSet, SafetyAccidentViewSet

router = DefaultRouter()
router.register("injury-cases", InjuryCaseViewSet)
router.register("disease-cases", OccupationalDiseaseCaseViewSet)
router.register("safety-accidents", SafetyAccidentViewSet)
urlpatterns = router.urls
