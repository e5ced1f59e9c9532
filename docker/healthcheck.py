"""Container health check of the web role: GET /healthz on the local gunicorn, exit 0 only on HTTP 200.

Standard library only (the slim image has no curl). /healthz answers 200 when the database and the broker are
reachable, 503 otherwise. The request names an allowed host and says it came through HTTPS, as the reverse
proxy would, so that neither ALLOWED_HOSTS (400) nor SECURE_SSL_REDIRECT (301) gets in the way.
"""

import os
import sys
import urllib.error
import urllib.request

URL = os.environ.get("HEALTHCHECK_URL", "http://127.0.0.1:8000/healthz")


def allowed_host():
    for host in os.environ.get("ALLOWED_HOSTS", "").split(","):
        host = host.strip().lstrip(".")
        if host and host != "*":
            return host
    return "localhost"


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None  # a redirect is an answer to report, not to follow


def main():
    if not URL.startswith(("http://", "https://")):
        print("HEALTHCHECK_URL must be an http(s) URL")
        return 1
    headers = {"Host": allowed_host(), "X-Forwarded-Proto": "https"}
    request = urllib.request.Request(URL, headers=headers)  # noqa: S310 - scheme checked above
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(request, timeout=float(os.environ.get("HEALTHCHECK_TIMEOUT", "8"))) as response:
            print(response.status, response.read(2000).decode("utf-8", "replace"))
            return 0 if response.status == 200 else 1
    except urllib.error.HTTPError as exc:
        print(exc.code, exc.read(2000).decode("utf-8", "replace"))
    except OSError as exc:
        print("unreachable:", exc)
    return 1


if __name__ == "__main__":
    sys.exit(main())
