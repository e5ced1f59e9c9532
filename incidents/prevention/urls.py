from django.urls import path

from . import views

app_name = "prevention"
urlpatterns = [
    path("", views.PreventionHomeView.as_view(), name="home"),
    # screening rules (thresholds, versioned) and their preview
    path("rules/", views.ScreeningRuleListView.as_view(), name="screeningrule_list"),
    path("rules/draft/", views.ScreeningRuleDraftView.as_view(), name="screeningrule_draft"),
    path("rules/<int:pk>/", views.ScreeningRuleDetailView.as_view(), name="screeningrule_detail"),
    path("rules/<int:pk>/publish/", views.ScreeningRulePublishView.as_view(), name="screeningrule_publish"),
    # screenings and their results
    path("screenings/", views.ScreeningRunListView.as_view(), name="screeningrun_list"),
    path("screenings/new/", views.ScreeningRunCreateView.as_view(), name="screeningrun_create"),
    path("screenings/<int:pk>/", views.ScreeningRunDetailView.as_view(), name="screeningrun_detail"),
    path("screenings/<int:pk>/publish/", views.ScreeningRunPublishView.as_view(), name="screeningrun_publish"),
    path("screenings/<int:pk>/issue/", views.NoticeIssueView.as_view(), name="screeningrun_issue"),
    path("results/<int:pk>/why/", views.ScreeningResultWhyView.as_view(), name="result_why"),
    # notice letters, extensions
    path("notices/", views.NoticeLetterListView.as_view(), name="noticeletter_list"),
    path("notices/<int:pk>/", views.NoticeLetterDetailView.as_view(), name="noticeletter_detail"),
    path("notices/<int:pk>/pdf/", views.NoticeLetterPdfView.as_view(), name="noticeletter_pdf"),
    path("notices/<int:pk>/report/", views.RectificationReportEditView.as_view(), name="report_edit"),
    path("notices/<int:pk>/extension/", views.ExtensionRequestView.as_view(), name="extension_request"),
    path("extensions/<int:pk>/decide/", views.ExtensionDecideView.as_view(), name="extension_decide"),
    # rectification reports and their attachments
    path("reports/<int:pk>/", views.RectificationReportDetailView.as_view(), name="report_detail"),
    path("reports/<int:pk>/submit/", views.RectificationReportSubmitView.as_view(), name="report_submit"),
    path("reports/<int:pk>/accept/", views.RectificationReportAcceptView.as_view(), name="report_accept"),
    path("reports/<int:pk>/return/", views.RectificationReportReturnView.as_view(), name="report_return"),
    path("reports/<int:pk>/attachments/", views.AttachmentUploadView.as_view(), name="attachment_upload"),
    path("attachments/<int:pk>/", views.AttachmentDownloadView.as_view(), name="attachment_download"),
    path("attachments/<int:pk>/delete/", views.AttachmentDeleteView.as_view(), name="attachment_delete"),
    # outcomes, recognition
    path("outcomes/", views.OutcomeListView.as_view(), name="outcome_list"),
    path("recognition/", views.RecognitionView.as_view(), name="recognition"),
    path("recognition/benchmark/", views.BenchmarkMarkView.as_view(), name="benchmark_mark"),
    # the online warning of one case, as its enterprise sees it
    path("warnings/<int:pk>/", views.CaseWarningView.as_view(), name="warning_case"),
    # typical-case bulletins: staff pages, and the public case library (no login)
    path("bulletins/", views.BulletinListView.as_view(), name="bulletin_list"),
    path("bulletins/new/", views.BulletinCreateView.as_view(), name="bulletin_create"),
    path("bulletins/<int:pk>/edit/", views.BulletinUpdateView.as_view(), name="bulletin_update"),
    path("bulletins/<int:pk>/publish/", views.BulletinPublishView.as_view(), name="bulletin_publish"),
    path("bulletins/<int:pk>/withdraw/", views.BulletinWithdrawView.as_view(), name="bulletin_withdraw"),
    path("library/", views.BulletinPublicListView.as_view(), name="bulletin_public_list"),
    path("library/<int:pk>/", views.BulletinPublicDetailView.as_view(), name="bulletin_public_detail"),
]
