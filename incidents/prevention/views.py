"""TEMPORARY scaffolding: the web UI helper replaces every class here."""

from django.views import View


class PreventionHomeView(View):
    pass


class ScreeningRuleListView(View):
    pass


class ScreeningRuleDraftView(View):
    pass


class ScreeningRuleDetailView(View):
    pass


class ScreeningRulePublishView(View):
    pass


class ScreeningRunListView(View):
    pass


class ScreeningRunCreateView(View):
    pass


class ScreeningRunDetailView(View):
    pass


class ScreeningRunPublishView(View):
    pass


class NoticeIssueView(View):
    pass


class ScreeningResultWhyView(View):
    pass


class NoticeLetterListView(View):
    pass


class NoticeLetterDetailView(View):
    pass


class NoticeLetterPdfView(View):
    pass


class RectificationReportEditView(View):
    pass


class ExtensionRequestView(View):
    pass


class ExtensionDecideView(View):
    pass


class RectificationReportDetailView(View):
    pass


class RectificationReportSubmitView(View):
    pass


class RectificationReportAcceptView(View):
    pass


class RectificationReportReturnView(View):
    pass


class AttachmentUploadView(View):
    pass


class AttachmentDownloadView(View):
    pass


class AttachmentDeleteView(View):
    pass


class OutcomeListView(View):
    pass


class RecognitionView(View):
    pass


class BenchmarkMarkView(View):
    pass


class CaseWarningView(View):
    pass


class BulletinListView(View):
    pass


class BulletinCreateView(View):
    pass


class BulletinUpdateView(View):
    pass


class BulletinPublishView(View):
    pass


class BulletinWithdrawView(View):
    pass


class BulletinPublicListView(View):
    pass


class BulletinPublicDetailView(View):
    pass
