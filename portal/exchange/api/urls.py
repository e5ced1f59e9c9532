from django.urls import path
from rest_framework.routers import DefaultRouter

from . import views

router = DefaultRouter()
router.register("obligations", views.ObligationViewSet)
router.register("confirmations", views.ConfirmationViewSet)
router.register("reports", views.ExchangeReportViewSet)
urlpatterns = [
    path("quarters/<int:year>/<int:quarter>/", views.QuarterView.as_view(), name="exchange-quarter"),
    path("quarters/<int:year>/<int:quarter>/board/", views.QuarterBoardView.as_view(), name="exchange-quarter-board"),
    *router.urls,
]
