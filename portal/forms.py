"""Form helpers shared by every module."""

import html

from django import forms
from django.core.exceptions import ValidationError
from django.forms.utils import flatatt
from django.forms.widgets import ChoiceWidget, NullBooleanSelect
from django.utils.choices import BaseChoiceIterator
from django.utils.functional import Promise
from django.utils.html import format_html
from django.utils.safestring import mark_safe


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
        fast = _FAST_WIDGETS.get(type(widget))
        if fast is not None:
            widget.__class__ = fast


def add_service_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError back on the form: a field's messages on the field, the rest above it."""
    if hasattr(exc, "error_dict"):
        for key, errors in exc.message_dict.items():
            form.add_error(key if key in form.fields else None, errors)
    else:
        form.add_error(None, exc)
    style_fields(form)


class FastSelectMixin:
    """A drop-down rendered in Python: the HTML of Django's select templates without a template rendered per option
    (the filters' hundred industries and accident types took a fifth of a list page's time)."""

    def render(self, name, value, attrs=None, renderer=None):
        if self._plain_options():
            return self._render_plain(name, value, attrs)
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], flatatt(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('<optgroup label="{}">', group_name))
            parts.extend(
                format_html(
                    '<option value="{}"{}>{}</option>',
                    str(option["value"]),  # as the template's stringformat:'s'
                    flatatt(option["attrs"]),
                    option["label"],
                )
                for option in options
            )
            if group_name:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part escaped by format_html

    def _plain_options(self) -> bool:
        cls = type(self)
        return (
            cls.optgroups is ChoiceWidget.optgroups
            and cls.create_option is ChoiceWidget.create_option
            and cls.get_context in (forms.Select.get_context, NullBooleanSelect.get_context)
            and not self.option_inherits_attrs
        )

    def _render_plain(self, name, value, attrs):
        """The same markup as ``optgroups`` → ``create_option`` → the loop above, without a dictionary per option:
        the region drop-down of a province offers hundreds."""
        final_attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            final_attrs["multiple"] = True
        chosen = self.format_value(value)  # a list, or one string (NullBooleanSelect): ``in`` as Django uses it
        first_only = not self.allow_multiple_selected
        prepared = getattr(self.choices, "options_html", None)
        if prepared is not None and first_only and isinstance(chosen, list):
            options = prepared()
            if options is not None:
                select = format_html('<select name="{}"{}>', name, flatatt(final_attrs))
                return mark_safe(f"{select}{_select_first(options, chosen)}</select>")  # noqa: S308 - escaped
        chosen = set(chosen) if isinstance(chosen, list) else chosen
        has_selected = False
        parts = [format_html('<select name="{}"{}>', name, flatatt(final_attrs))]
        for option_value, option_label in self.choices:
            if option_value is None:
                option_value = ""
            group = isinstance(option_label, list | tuple)
            if group:
                parts.append(format_html('<optgroup label="{}">', option_value))
            for sub_value, sub_label in option_label if group else ((option_value, option_label),):
                text = str(sub_value)
                selected = (not has_selected or not first_only) and text in chosen
                has_selected |= selected
                parts.append(_option(text, sub_label, selected))
            if group:
                parts.append("</optgroup>")
        parts.append("</select>")
        return mark_safe("".join(parts))  # noqa: S308 - every part escaped


def _option(text: str, label, selected: bool = False) -> str:
    return f'<option value="{html.escape(text)}"{" selected" if selected else ""}>{escaped(label)}</option>'


def options_html(pairs) -> str:
    """The ``<option>`` elements of flat (value, label) pairs, none selected: what a drop-down's choices render to,
    kept with them in the cache (``prepared_choices``) so that a page only marks the chosen one."""
    return "".join(_option("" if value is None else str(value), label) for value, label in pairs)


def _select_first(options: str, chosen: list[str]) -> str:
    """``options`` with the first option whose value is chosen marked selected, as a single select marks it."""
    found = [i for i in (options.find(f'<option value="{html.escape(v)}">') for v in chosen) if i >= 0]
    if not found:
        return options
    at = min(found) + len("<option")
    head, tail = options[:at], options[at:]
    end = tail.index(">")
    return f"{head}{tail[:end]} selected{tail[end:]}"


def escaped(value) -> str:
    """``conditional_escape`` without its lazy-argument wrapper (called once per option)."""
    if isinstance(value, Promise):
        value = str(value)
    return value.__html__() if hasattr(value, "__html__") else html.escape(str(value))


class LazyHtml:
    """Markup written when a template first shows it (``render`` is called once, and never if it is not shown)."""

    def __init__(self, render):
        self._render, self._html = render, None

    def __html__(self) -> str:
        if self._html is None:
            self._html = self._render()
        return self._html

    __str__ = __html__


class CachedChoices(BaseChoiceIterator):
    """A drop-down's choices, read by ``load`` when first iterated (a form that is validated but not rendered, as
    in the API, never reads them) and kept for the next iteration. ``load`` returns (value, label) pairs, already
    in the form Django normalises choices to: a plain callable would be normalised again, the whole list, at each
    iteration (``Select.use_required_attribute`` iterates once more only to read the first choice)."""

    def __init__(self, load):
        self.load = load
        self.items = None
        self.html = None

    def _read(self):
        loaded = self.load()
        if isinstance(loaded, dict):  # prepared_choices()
            self.items, self.html = list(loaded["pairs"]), loaded["options_html"]
        else:
            self.items = list(loaded)

    def __iter__(self):
        if self.items is None:
            self._read()
        return iter(self.items)

    def options_html(self) -> str | None:
        """The options' markup, none selected, when ``load`` gave it (``prepared_choices``); else None."""
        if self.items is None:
            self._read()
        return self.html


def prepared_choices(pairs) -> dict:
    """Flat (value, label) pairs and their ``options_html``: what a cached drop-down keeps (``CachedChoices``). Plain
    data, so that what the cache holds unpickles whatever version of this module reads it."""
    pairs = list(pairs)
    return {"pairs": pairs, "options_html": options_html(pairs)}


class FastSelect(FastSelectMixin, forms.Select):
    pass


class FastNullBooleanSelect(FastSelectMixin, NullBooleanSelect):
    pass


class StyledFormMixin:
    """Mixin for ``forms.Form``/``ModelForm``: Bootstrap classes on every widget."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self, mark_errors=False)

    def full_clean(self):
        super().full_clean()
        style_fields(self)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input (Django's documented recipe): a list of the uploaded files."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput())
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, list | tuple):
            return [single(d, initial) for d in data if d]
        return [single(data, initial)] if data else []


class FastInputMixin:
    """An ``<input>`` rendered in Python: the markup of Django's ``input.html`` and ``attrs.html`` without
    rendering two templates per field (a list page's filter form has half a dozen)."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        shown = "" if widget["value"] is None else format_html(' value="{}"', str(widget["value"]))
        return format_html(
            '<input type="{}" name="{}"{}{}>', widget["type"], widget["name"], shown, flatatt(widget["attrs"])
        )


_FAST_WIDGETS = {
    forms.Select: FastSelect,
    NullBooleanSelect: FastNullBooleanSelect,
    **{
        base: type(f"Fast{base.__name__}", (FastInputMixin, base), {})
        for base in (
            forms.TextInput,
            forms.NumberInput,
            forms.EmailInput,
            forms.URLInput,
            forms.DateInput,
            forms.DateTimeInput,
            forms.TimeInput,
            forms.HiddenInput,
        )
    },
}
