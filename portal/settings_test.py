"""Test settings: the real settings plus a fast hasher, in-memory e-mail and a throwaway media root."""

import tempfile
from pathlib import Path

from .settings import *  # noqa: F403
from .settings import env

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
MEDIA_ROOT = Path(tempfile.mkdtemp(prefix="portal-media-"))
# Tasks run inline unless a test starts a real worker (tests/portal/test_worker.py).
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
# A private broker folder, so a test worker never meets a developer's running worker.
if CELERY_BROKER_URL.startswith("filesystem://"):  # noqa: F405
    _broker = Path(tempfile.mkdtemp(prefix="portal-broker-"))
    (_broker / "control").mkdir()
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker),
        "data_folder_out": str(_broker),
        "control_folder": str(_broker / "control"),
    }
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
