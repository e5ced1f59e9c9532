"""Form helpers shared by every module."""


def style_fields(form, *, mark_errors: bool = True) -> None:
    """Give every visible widget its Bootstrap class and, after validation, mark fields with errors invalid.

    Never triggers validation itself: reading ``form.errors`` on a bound form would validate it before a
    subclass has narrowed its querysets (scoped choices)."""
    errors = form._errors if mark_errors and form.is_bound and form._errors is not None else {}
    for name, field in form.fields.items():
        widget = field.widget
        kind = getattr(widget, "input_type", "")
        css = (
            "form-check-input"
            if kind in ("checkbox", "radio")
            else ("form-select" if kind == "select" else "form-control")
        )
        classes = [
            c
            for c in widget.attrs.get("class", "").split()
            if c not in ("form-control", "form-select", "form-check-input", "is-invalid")
        ]
        classes.append(css)
        if name in errors:
            classes.append("is-invalid")
        widget.attrs["class"] = " ".join(classes)


class StyledFormMixin:
    """Mixin for ``forms.Form``/``ModelForm``: Bootstrap classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self, mark_errors=False)

    def full_clean(self):
        super().full_clean()
        style_fields(self)
