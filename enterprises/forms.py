from django import forms

from portal.forms import StyledFormMixin
from portal.reference.models import Industry, Region

from .models import Enterprise


class EnterpriseForm(StyledFormMixin, forms.ModelForm):
    """Region choices are limited to the user's own region subtree; industry to GB/T 4754 classes."""

    class Meta:
        model = Enterprise
        fields = ["credit_code", "name", "region", "industry", "address"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        regions = Region.objects.filter(is_active=True)
        if user.region is not None:
            regions = regions.subtree(user.region)
        self.fields["region"].queryset = regions
        self.fields["industry"].queryset = Industry.objects.filter(level="class")
        self.fields["industry"].label_from_instance = lambda i: f"{i.code} {i.name}"
