"""WSGI entry point (gunicorn portal.wsgi)."""

import gc
import os

from django.core.wsgi import get_wsgi_application


def settle() -> None:
    """Load what every request needs (the URLconf and the views it imports, the shell's templates), then hand every
    object alive now to ``gc.freeze``: the cyclic garbage collector no longer walks the hundreds of thousands of
    long-lived objects of Django, the portal and the reference data in each full collection. A full collection of a
    worker otherwise walks them all every 150–200 list pages and stops its requests for 130–220 ms (measured:
    bench/README.md, "Sync workers, a frozen heap and a cheaper page"). Objects made later, per request, are
    collected as before."""
    from django.template.loader import get_template
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 - imports every view module
    for name in ("base.html", "generic/object_list.html", "generic/table.html"):
        get_template(name)
    gc.collect()
    gc.freeze()


os.environ.setdefault("DJANGO_SETTINGS_MODULE", "portal.settings")
application = get_wsgi_application()
settle()
