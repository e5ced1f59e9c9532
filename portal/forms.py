"""Form helpers shared by every module."""


def style_fields(form) -> None:
    """Give every visible widget its Bootstrap class, and mark fields with errors invalid."""
    for name, field in form.fields.items():
        widget = field.widget
        kind = getattr(widget, "input_type", "")
        css = (
            "form-check-input"
            if kind in ("checkbox", "radio")
            else ("form-select" if kind == "select" else "form-control")
        )
        classes = widget.attrs.get("class", "")
        if form.is_bound and name in form.errors:
            css += " is-invalid"
        widget.attrs["class"] = f"{classes} {css}".strip()


class StyledFormMixin:
    """Mixin for ``forms.Form``/``ModelForm``: Bootstrap classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self)

    def full_clean(self):
        super().full_clean()
        style_fields(self)
