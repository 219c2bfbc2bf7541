"""Reads and submits perch-emulator's consent pages the way a browser would.

Shared by the Python checks in this folder (and the OAuth 2.0 reference
provider's self-test): stdlib only, loopback only.
"""

import html.parser
import urllib.error
import urllib.parse
import urllib.request


class FormParser(html.parser.HTMLParser):
    """Collects each <form>'s id, method, action and inputs."""

    def __init__(self):
        super().__init__()
        self.forms = {}
        self.current = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "form":
            self.current = {"method": attrs.get("method", "get").lower(),
                            "action": attrs.get("action", ""), "fields": []}
            self.forms[attrs.get("id", f"form{len(self.forms)}")] = self.current
        elif tag == "input" and self.current is not None and "name" in attrs:
            self.current["fields"].append((attrs["name"], attrs.get("value", "")))

    def handle_endtag(self, tag):
        if tag == "form":
            self.current = None


def parse_forms(page):
    parser = FormParser()
    parser.feed(page)
    return parser.forms


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # surface the 302 so we can read Location


def open_page(url):
    """GET without following redirects: (status, headers, body text)."""
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, response.headers, response.read().decode("utf-8")
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read().decode("utf-8", "replace")


def submit_form(base, form):
    """POSTs a consent form like a browser (with Origin); returns (status, Location)."""
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(
        urllib.parse.urljoin(base, form["action"]),
        data=urllib.parse.urlencode(form["fields"]).encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": base},
        method="POST")
    try:
        with opener.open(request, timeout=5) as response:
            return response.status, response.headers.get("Location")
    except urllib.error.HTTPError as error:
        return error.code, error.headers.get("Location")
