from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("screening-rules", views.ScreeningRuleViewSet)
router.register("screening-runs", views.ScreeningRunViewSet)
router.register("screening-results", views.ScreeningResultViewSet)
router.register("notices", views.NoticeLetterViewSet)
router.register("extensions", views.DeadlineExtensionViewSet)
router.register("reports", views.RectificationReportViewSet)
router.register("outcomes", views.OutcomeViewSet)
router.register("warnings", views.CaseWarningViewSet)
router.register("bulletins", views.BulletinViewSet)
# The public case library: published bulletins, no login.
router.register("library", views.PublicBulletinViewSet, basename="public-bulletin")
urlpatterns = router.urls
