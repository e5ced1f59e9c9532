from django.urls import path

from . import views

app_name = "incidents"


def crud(prefix: str, name: str, list_view, detail, create, update, delete, unmask=None):
    patterns = [
        path(f"{prefix}/", list_view.as_view(), name=f"{name}_list"),
        path(f"{prefix}/add/", create.as_view(), name=f"{name}_add"),
        path(f"{prefix}/<int:pk>/", detail.as_view(), name=f"{name}_detail"),
        path(f"{prefix}/<int:pk>/edit/", update.as_view(), name=f"{name}_edit"),
        path(f"{prefix}/<int:pk>/delete/", delete.as_view(), name=f"{name}_delete"),
    ]
    if unmask is not None:
        patterns.append(path(f"{prefix}/<int:pk>/unmask/", unmask.as_view(), name=f"{name}_unmask"))
    return patterns


urlpatterns = [
    *crud(
        "injury-cases",
        "injurycase",
        views.InjuryCaseListView,
        views.InjuryCaseDetailView,
        views.InjuryCaseCreateView,
        views.InjuryCaseUpdateView,
        views.InjuryCaseDeleteView,
        views.InjuryCaseUnmaskView,
    ),
    *crud(
        "disease-cases",
        "occupationaldiseasecase",
        views.OccupationalDiseaseCaseListView,
        views.OccupationalDiseaseCaseDetailView,
        views.OccupationalDiseaseCaseCreateView,
        views.OccupationalDiseaseCaseUpdateView,
        views.OccupationalDiseaseCaseDeleteView,
        views.OccupationalDiseaseCaseUnmaskView,
    ),
    *crud(
        "safety-accidents",
        "safetyaccident",
        views.SafetyAccidentListView,
        views.SafetyAccidentDetailView,
        views.SafetyAccidentCreateView,
        views.SafetyAccidentUpdateView,
        views.SafetyAccidentDeleteView,
    ),
]
