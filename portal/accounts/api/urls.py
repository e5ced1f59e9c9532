from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import AgencyViewSet, MeView, TokenView, UserViewSet

router = DefaultRouter()
router.register("agencies", AgencyViewSet)
router.register("users", UserViewSet)
urlpatterns = [
    path("me/", MeView.as_view(), name="me"),
    path("token/", TokenView.as_view(), name="token"),
    *router.urls,
]
