"""The joint meeting's jobs (Celery autodiscovers ``meetings.tasks``): one module per area."""

from . import actions, keytasks, solicitations  # noqa: F401 - registers the tasks
