"""Names of the figures as the dashboard, its downloads and the briefing show them."""

from django.utils.translation import gettext_lazy as _

KPIS = [
    ("cases", _("Cases")),
    ("deaths", _("Deaths")),
    ("serious", _("Serious injuries")),
    ("lost_workdays", _("Lost workdays")),
    ("fund_payout", _("Fund payout (yuan)")),
    ("incidence_rate", _("Incidence per 1,000 insured")),
    ("death_rate", _("Deaths per 1,000 insured")),
    ("serious_rate", _("Serious injuries per 1,000 insured")),
]
DOWNLOADS = ("trend", "by_region", "by_industry", "by_type", "by_post", "ranking")
BREAKDOWN_COLUMNS = [
    ("cases", _("Cases")),
    ("serious", _("Serious injuries")),
    ("deaths", _("Deaths")),
    ("lost_workdays", _("Lost workdays")),
    ("fund_payout", _("Fund payout (yuan)")),
    ("insured", _("Insured employees")),
    ("incidence_rate", _("Incidence per 1,000 insured")),
]
