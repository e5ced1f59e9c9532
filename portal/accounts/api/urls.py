from django.urls import path
from rest_framework.routers import DefaultRouter

from .views import AgencyViewSet, MeView, UserViewSet

router = DefaultRouter()
router.register("agencies", AgencyViewSet)
router.register("users", UserViewSet)
urlpatterns = [path("me/", MeView.as_view(), name="me"), *router.urls]
