"""Password policy: at least three of the four character classes (length is Django's MinimumLengthValidator)."""

import string

from django.contrib.auth.password_validation import MinimumLengthValidator
from django.core.exceptions import ValidationError
from django.utils.translation import ngettext


class PortalMinimumLengthValidator(MinimumLengthValidator):
    """Django's length rule with the portal's own message (Django 5.2's changed msgid has no zh_Hans yet)."""

    def get_error_message(self):
        return ngettext(
            "This password is too short. It must contain at least %(min_length)d character.",
            "This password is too short. It must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}

    def get_help_text(self):
        return ngettext(
            "Your password must contain at least %(min_length)d character.",
            "Your password must contain at least %(min_length)d characters.",
            self.min_length,
        ) % {"min_length": self.min_length}


class CharacterClassValidator:
    """Require ``min_classes`` of: upper-case letters, lower-case letters, digits, other characters."""

    def __init__(self, min_classes: int = 3):
        self.min_classes = min_classes

    def validate(self, password, user=None):
        classes = [
            any(c in string.ascii_uppercase for c in password),
            any(c in string.ascii_lowercase for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() for c in password),
        ]
        if sum(classes) < self.min_classes:
            raise ValidationError(self.get_help_text(), code="password_too_simple")

    def get_help_text(self):
        return ngettext(
            "Your password must contain at least %(n)d kind of character: upper-case letters, lower-case "
            "letters, digits, symbols.",
            "Your password must contain at least %(n)d kinds of characters: upper-case letters, lower-case "
            "letters, digits, symbols.",
            self.min_classes,
        ) % {"n": self.min_classes}
