from .views import committee, keytasks, meetings, solicitations

app_name = "meetings"

urlpatterns = [
    *committee.urlpatterns,
    *meetings.urlpatterns,
    *solicitations.urlpatterns,
    *keytasks.urlpatterns,
]
