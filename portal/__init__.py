"""The work-injury prevention portal (工伤预防联防联控平台): project package and cross-cutting shell."""

from .celery import app as celery_app

__all__ = ("celery_app",)
