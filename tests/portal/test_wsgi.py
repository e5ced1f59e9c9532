"""The WSGI application as gunicorn loads it: settled for the garbage collector (``portal.wsgi.settle``)."""

import json
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]

PROBE = """
import gc, json, sys
import portal.wsgi
print(json.dumps({
    "frozen": gc.get_freeze_count(),
    "tracked": len(gc.get_objects()),
    "enabled": gc.isenabled(),
    "views_imported": "incidents.views" in sys.modules and "enterprises.views" in sys.modules,
    "callable": callable(portal.wsgi.application),
}))
"""


def test_the_wsgi_module_hands_its_long_lived_objects_to_gc_freeze():
    """Loading ``portal.wsgi`` imports the views and freezes what is alive then, so that a worker's full collections
    walk only what its requests made (without it: 130-220 ms pauses every 150-200 list pages, bench/README.md)."""
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "portal.settings_test"}
    out = subprocess.run(
        [sys.executable, "-c", PROBE], cwd=REPO, env=env, check=True, capture_output=True, text=True, timeout=120
    ).stdout
    seen = json.loads(out.strip().splitlines()[-1])
    assert seen["callable"] and seen["enabled"] and seen["views_imported"]
    # Django, the portal and the views are tens of thousands of objects; after the freeze few are left to walk.
    assert seen["frozen"] > 50_000
    assert seen["tracked"] < seen["frozen"] / 10
