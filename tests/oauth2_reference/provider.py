#!/usr/bin/python3
"""An independent OAuth 2.0 provider for proving clients: python3-oauthlib's
WebApplicationServer (Authorization Code with PKCE, refresh tokens) behind a
small http.server on 127.0.0.1, at X's paths:

  GET  /i/oauth2/authorize   approves at once (302 with code and state), or with
                             --consent shows Authorize / Cancel forms (ids
                             oauth_form / cancel_form, buttons #allow / #cancel)
  POST /i/oauth2/authorize   the consent forms' answer
  POST /2/oauth2/token       authorization_code and refresh_token grants
  GET  /2/users/me           {"data": v2 user}; needs tweet.read and users.read;
                             confirmed_email needs users.email

oauthlib parses and validates the requests, checks PKCE and writes the answers;
validator.py only stores codes and tokens (oauthlib's RequestValidator) and
decides who the client is. Client authentication follows X's rule: a confidential client
(--client-secret) uses HTTP Basic client_id:client_secret; a public client sends
client_id in the body and no Authorization header. PKCE is required (with the
methods oauthlib knows, S256 and plain: the log shows which a client used);
redirect URIs must match a --redirect-uri exactly; codes are single-use (a reused code
revokes the tokens it gave) and live --code-ttl seconds; refresh tokens rotate.

Every request is appended to --log FILE as one JSON line: method, path, query,
headers (Authorization reduced to its scheme and, for Basic, the client id),
the parsed form (client_secret redacted) and the status answered, so a test can
assert on exactly what its client sent.

Point perch-proxy at it with PERCH_X_API=http://127.0.0.1:PORT and
PERCH_X_AUTHORIZE_URL=http://127.0.0.1:PORT/i/oauth2/authorize.

On start it prints one line, "oauth2-reference listening on http://127.0.0.1:PORT";
SIGTERM or SIGINT stop it. Loopback only; needs /usr/bin/python3 with python3-oauthlib.
"""

import argparse
import html
import http.server
import json
import os
import secrets
import signal
import sys
import threading
import urllib.parse

# Loopback plain http: oauthlib refuses non-https URIs unless told this.
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"

sys.dont_write_bytecode = True  # no __pycache__ in the source tree

from oauthlib.oauth2 import WebApplicationServer  # noqa: E402
from oauthlib.oauth2.rfc6749 import errors as oauth_errors  # noqa: E402

from validator import USER, Validator, basic_credentials  # noqa: E402

MAX_BODY = 64 * 1024


class Provider:
    """The oauthlib server, its validator, pending consent forms and the request log."""

    def __init__(self, settings):
        self.settings = settings
        self.validator = Validator(settings)
        self.server = WebApplicationServer(self.validator, token_expires_in=settings.access_token_ttl)
        self.lock = threading.Lock()  # oauthlib and the validator's dicts are used one request at a time
        self.pending = {}  # consent form token -> the authorize URI it answers
        self.log = open(settings.log, "a", encoding="utf-8") if settings.log else None

    def record(self, entry):
        if self.log is not None:
            self.log.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self.log.flush()


def problem(status, title, detail):
    return status, {"Content-Type": "application/problem+json"}, json.dumps(
        {"title": title, "type": "about:blank", "status": status, "detail": detail})


def error_page(status, message):
    body = f"<!doctype html><title>Error</title><h1>Something went wrong</h1><p id=\"error\">{html.escape(message)}</p>"
    return status, {"Content-Type": "text/html; charset=utf-8"}, body


def consent_page(form_token, uri, scopes):
    hidden = f'<input type="hidden" name="consent" value="{html.escape(form_token)}">'
    items = "".join(f'<li data-scope="{html.escape(s)}">{html.escape(s)}</li>' for s in scopes)
    body = ("<!doctype html><html lang=\"en\"><meta charset=\"utf-8\"><title>Authorize app</title>"
            f"<h1>oauth2-reference: authorize this app?</h1><ul id=\"scopes\">{items}</ul>"
            f"<form method=\"post\" action=\"/i/oauth2/authorize\" id=\"oauth_form\">{hidden}"
            "<button type=\"submit\" id=\"allow\">Authorize app</button></form>"
            f"<form method=\"post\" action=\"/i/oauth2/authorize\" id=\"cancel_form\">{hidden}"
            "<input type=\"hidden\" name=\"cancel\" value=\"1\">"
            "<button type=\"submit\" id=\"cancel\">Cancel</button></form></html>")
    return 200, {"Content-Type": "text/html; charset=utf-8", "Cache-Control": "no-store"}, body


def authorize(provider, uri, allow=True):
    """oauthlib validates the authorize URI; a good one gets a code (or access_denied)."""
    try:
        scopes, _ = provider.server.validate_authorization_request(uri, "GET")
    except oauth_errors.FatalClientError as error:
        return error_page(400, error.description or error.error)
    except oauth_errors.OAuth2Error as error:
        redirect = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query).get("redirect_uri", [""])[0]
        return 302, {"Location": error.in_uri(redirect)}, ""
    if not allow:
        query = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)
        denied = oauth_errors.AccessDeniedError(state=query.get("state", [None])[0])
        return 302, {"Location": denied.in_uri(query["redirect_uri"][0])}, ""
    headers, body, status = provider.server.create_authorization_response(
        uri, "GET", None, None, scopes, {"user": USER["id"]})
    return status, headers, body or ""


def authorize_page(provider, uri):
    if not provider.settings.consent:
        return authorize(provider, uri)
    try:
        scopes, _ = provider.server.validate_authorization_request(uri, "GET")
    except oauth_errors.OAuth2Error:
        return authorize(provider, uri)  # the same refusal as without --consent
    form_token = secrets.token_urlsafe(24)
    provider.pending[form_token] = uri
    return consent_page(form_token, uri, scopes)


def consent_answer(provider, form):
    uri = provider.pending.pop(form.get("consent", [""])[0], None)
    if uri is None:
        return error_page(400, "unknown or already answered consent form")
    return authorize(provider, uri, allow="cancel" not in form)


def token(provider, uri, body, headers):
    out_headers, out_body, status = provider.server.create_token_response(uri, "POST", body, headers)
    out_headers = dict(out_headers)
    out_headers.setdefault("Content-Type", "application/json")
    return status, out_headers, out_body


def users_me(provider, uri, headers):
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(uri).query)
    fields = [f for f in ",".join(query.get("user.fields", [])).split(",") if f]
    needed = ["tweet.read", "users.read"] + (["users.email"] if "confirmed_email" in fields else [])
    valid, request = provider.server.verify_request(uri, "GET", None, headers, scopes=needed)
    if not valid:
        if getattr(request, "perch_refusal", 401) == 401:
            return problem(401, "Unauthorized", "Unauthorized")
        if "users.email" in needed and "users.email" not in request.scopes:
            return problem(403, "Forbidden", "Missing required OAuth2 scopes: users.email")
        return problem(403, "Forbidden", "Forbidden")
    data = {key: USER[key] for key in ("id", "name", "username")}
    data.update({f: USER[f] for f in fields if f in USER})
    return 200, {"Content-Type": "application/json"}, json.dumps({"data": data}, ensure_ascii=False)


def logged_headers(headers):
    """Request headers for the log, never a secret: Authorization becomes its scheme
    (and, for Basic, the client id it names)."""
    out = {}
    for name, value in headers.items():
        if name.lower() == "authorization":
            scheme = value.split(" ", 1)[0]
            entry = {"scheme": scheme}
            credentials = basic_credentials(headers) if scheme.lower() == "basic" else None
            if credentials:
                entry["client_id"] = credentials[0]
            out["authorization"] = entry
        else:
            out[name.lower()] = value
    return out


class Handler(http.server.BaseHTTPRequestHandler):
    provider = None  # set before serving
    protocol_version = "HTTP/1.1"

    def log_message(self, fmt, *args):  # one line per request on stderr, path only (queries carry codes)
        sys.stderr.write("oauth2-reference: %s\n" % (fmt % args).split("?")[0])

    def do_GET(self):
        self.dispatch("GET")

    def do_POST(self):
        self.dispatch("POST")

    def dispatch(self, method):
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self.answer(method, {}, (413, {"Content-Type": "text/plain"}, "too large"))
            return
        body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
        form = urllib.parse.parse_qs(body, keep_blank_values=True) if body else {}
        uri = f"http://{self.server.server_address[0]}:{self.server.server_address[1]}{self.path}"
        path = urllib.parse.urlsplit(self.path).path
        headers = dict(self.headers.items())
        provider = self.provider
        with provider.lock:
            if method == "GET" and path == "/i/oauth2/authorize":
                result = authorize_page(provider, uri)
            elif method == "POST" and path == "/i/oauth2/authorize":
                result = consent_answer(provider, form)
            elif method == "POST" and path == "/2/oauth2/token":
                result = token(provider, uri, body, headers)
            elif method == "GET" and path == "/2/users/me":
                result = users_me(provider, uri, headers)
            else:
                result = problem(404, "Not Found Error", "no such route")
        self.answer(method, form, result)

    def answer(self, method, form, result):
        status, headers, body = result
        split = urllib.parse.urlsplit(self.path)
        self.provider.record({
            "method": method, "path": split.path,
            "query": urllib.parse.parse_qs(split.query, keep_blank_values=True),
            "headers": logged_headers(self.headers),
            "form": {k: (["<redacted>"] if k == "client_secret" else v) for k, v in form.items()},
            "status": status,
        })
        data = body.encode("utf-8")
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def parse_settings(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--client-id", required=True)
    parser.add_argument("--client-secret", default="", help="set: a confidential client using HTTP Basic")
    parser.add_argument("--redirect-uri", action="append", required=True, help="registered, exact (repeatable)")
    parser.add_argument("--log", help="append every request received as a JSON line to this file")
    parser.add_argument("--consent", action="store_true", help="show Authorize / Cancel instead of approving")
    parser.add_argument("--code-ttl", type=float, default=30)
    parser.add_argument("--access-token-ttl", type=int, default=7200)
    return parser.parse_args(argv)


def main(argv):
    settings = parse_settings(argv)
    Handler.provider = Provider(settings)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", settings.port), Handler)
    server.daemon_threads = True
    stop = lambda *_: threading.Thread(target=server.shutdown, daemon=True).start()  # noqa: E731
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    print(f"oauth2-reference listening on http://127.0.0.1:{server.server_address[1]}", flush=True)
    server.serve_forever(poll_interval=0.1)
    server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
