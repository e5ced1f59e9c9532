from django.urls import path

from . import views

app_name = "incidents"
urlpatterns = [
    path("injury-cases/", views.InjuryCaseListView.as_view(), name="injurycase_list"),
    path("injury-cases/add/", views.InjuryCaseCreateView.as_view(), name="injurycase_add"),
    path("injury-cases/<int:pk>/", views.InjuryCaseDetailView.as_view(), name="injurycase_detail"),
    path("injury-cases/<int:pk>/edit/", views.InjuryCaseUpdateView.as_view(), name="injurycase_edit"),
    path("injury-cases/<int:pk>/delete/", views.InjuryCaseDeleteView.as_view(), name="injurycase_delete"),
    path("injury-cases/<int:pk>/unmask/", views.InjuryCaseUnmaskView.as_view(), name="injurycase_unmask"),
]
