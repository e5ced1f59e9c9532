from django.urls import path

from . import views

app_name = "exchange"
urlpatterns = [
    path("", views.ExchangeIndexView.as_view(), name="index"),
    # an agency's quarter: what it owes and has entered; confirming locks it
    path("quarters/<int:year>/<int:quarter>/", views.QuarterView.as_view(), name="quarter"),
    path("quarters/<int:year>/<int:quarter>/confirm/", views.QuarterConfirmView.as_view(), name="quarter_confirm"),
    # the member agencies of the region; the secretariat reopens and reminds there
    path("board/<int:year>/<int:quarter>/", views.BoardView.as_view(), name="board"),
    path("board/<int:year>/<int:quarter>/remind/", views.BoardRemindView.as_view(), name="board_remind"),
    path("confirmations/<int:pk>/reopen/", views.ConfirmationReopenView.as_view(), name="confirmation_reopen"),
    # what each agency owes
    path("obligations/", views.ObligationListView.as_view(), name="obligation_list"),
    path("obligations/new/", views.ObligationCreateView.as_view(), name="obligation_create"),
    path("obligations/<int:pk>/edit/", views.ObligationUpdateView.as_view(), name="obligation_update"),
    path("obligations/defaults/", views.ObligationDefaultsView.as_view(), name="obligation_defaults"),
    # the consolidated reports, their versions and files
    path("reports/", views.ReportListView.as_view(), name="report_list"),
    path("reports/build/", views.ReportBuildView.as_view(), name="report_build"),
    path("reports/<int:pk>/", views.ReportDetailView.as_view(), name="report_detail"),
    path("reports/<int:pk>/<str:fmt>/", views.ReportDownloadView.as_view(), name="report_download"),
]
