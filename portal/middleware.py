"""Language: Chinese unless the user chose otherwise.

Django's LocaleMiddleware follows the browser's Accept-Language, so a clerk whose browser happens to be set
to English would get an English portal. Here only the user's explicit choice (the language cookie set by the
language switcher) overrides the default zh-hans.
"""

import time

from django.conf import settings
from django.middleware.locale import LocaleMiddleware
from django.utils import translation


class ChosenLanguageMiddleware(LocaleMiddleware):
    def process_request(self, request):
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        supported = {code for code, _name in settings.LANGUAGES}
        language = chosen if chosen in supported else settings.LANGUAGE_CODE
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class IdleSessionMiddleware:
    """Idle timeout without a session write on every request: the session (and the cookie's expiry) is renewed
    once ``SESSION_RENEW_SECONDS`` have passed since its last renewal, so an idle session ends between
    ``SESSION_COOKIE_AGE - SESSION_RENEW_SECONDS`` and ``SESSION_COOKIE_AGE`` after the last request. Goes after
    SessionMiddleware (whose response phase then saves the renewed session)."""

    KEY = "_renewed"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and session.session_key:
            if _now() - session.get(self.KEY, 0) >= settings.SESSION_RENEW_SECONDS:
                self.renew(session)
        return self.get_response(request)

    @classmethod
    def renew(cls, session) -> None:
        """Mark the session renewed now (saved with the response). A login does it: the session it saves is new,
        and the page the user lands on need not write it again."""
        session[cls.KEY] = _now()


def _now() -> int:
    return int(time.time())
