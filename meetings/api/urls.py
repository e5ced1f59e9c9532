from rest_framework.routers import DefaultRouter

from . import committee, keytasks, meetings, solicitations

router = DefaultRouter()
for area in (committee, meetings, solicitations, keytasks):
    area.register(router)

urlpatterns = router.urls
