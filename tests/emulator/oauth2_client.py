"""An OAuth 2.0 + PKCE client built on python3-oauthlib's WebApplicationClient.

Nobody on this project wrote oauthlib: driving perch-emulator (or the OAuth 2.0
reference provider) with it proves those servers speak RFC 6749 / RFC 7636 as
an independent client understands them. oauthlib builds the authorize URL, the
PKCE pair, the token and refresh request bodies and the Bearer header, and
parses every answer (raising its own errors for OAuth error answers); requests
carries them over loopback HTTP.
"""

import os
import secrets
import time
import urllib.parse

# Loopback only, so plain http is fine; oauthlib refuses it otherwise.
os.environ["OAUTHLIB_INSECURE_TRANSPORT"] = "1"
os.environ["NO_PROXY"] = "127.0.0.1,localhost"

import requests  # noqa: E402
from oauthlib.oauth2 import WebApplicationClient  # noqa: E402

from consent_form import open_page, parse_forms, submit_form  # noqa: E402
from live_checks import refused_with  # noqa: E402


def token_refused(client, response, error_class):
    """True when oauthlib, parsing `response` as a token answer, raises `error_class`
    (e.g. InvalidGrantError for {"error":"invalid_grant",…})."""
    return refused_with(error_class, lambda: client.parse_request_body_response(response.text))


def wait_past(seconds):
    """Returns once `seconds` have passed on CLOCK_MONOTONIC, which every process
    on this machine reads: a server's expiry measured before this call has passed."""
    until = time.monotonic() + seconds
    while time.monotonic() < until:
        time.sleep(0.05)


class OAuth2TestClient:
    """One registered client of the server at `base`."""

    def __init__(self, base, client_id, redirect_uri, client_secret=None,
                 authorize_path="/i/oauth2/authorize", token_path="/2/oauth2/token"):
        self.base = base
        self.client_id = client_id
        self.client_secret = client_secret
        self.redirect_uri = redirect_uri
        self.authorize_url = base + authorize_path
        self.token_url = base + token_path
        self.http = requests.Session()
        self.http.trust_env = False

    def new_oauthlib_client(self):
        return WebApplicationClient(self.client_id)

    def start(self, scopes, state=None):
        """A fresh oauthlib client with its PKCE pair, and the authorize URL it builds."""
        client = self.new_oauthlib_client()
        verifier = client.create_code_verifier(64)
        challenge = client.create_code_challenge(verifier, "S256")
        state = state or secrets.token_urlsafe(24)
        url = client.prepare_request_uri(self.authorize_url, redirect_uri=self.redirect_uri, scope=scopes,
                                         state=state, code_challenge=challenge, code_challenge_method="S256")
        return client, url, state

    def consent(self, url, allow=True):
        """Opens the authorize URL like a browser. A consent page gets its Authorize
        (or Cancel) form submitted; a server that approves at once answers 302 itself.
        Returns (status, Location)."""
        status, headers, page = open_page(url)
        if status in (302, 303):
            return status, headers.get("Location")
        if status != 200:
            return status, None
        form = parse_forms(page).get("oauth_form" if allow else "cancel_form")
        if form is None:
            return status, None
        return submit_form(self.base, form)

    def authorize(self, scopes, allow=True):
        """start + consent; oauthlib parses the callback (checking state) -> (client, code)."""
        client, url, state = self.start(scopes)
        status, location = self.consent(url, allow)
        if location is None:
            raise AssertionError(f"authorize answered {status} without a redirect")
        params = client.parse_request_uri_response(location, state=state)
        return client, params["code"]

    def post_token(self, body, basic=True):
        """POSTs a form body to the token endpoint, with HTTP Basic for a confidential client."""
        auth = (self.client_id, self.client_secret) if (self.client_secret and basic) else None
        return self.http.post(self.token_url, data=body, auth=auth, timeout=5,
                              headers={"Content-Type": "application/x-www-form-urlencoded"})

    def exchange(self, client, code, verifier=None):
        """The authorization_code grant as oauthlib writes it; returns the HTTP response."""
        body = client.prepare_request_body(code=code, redirect_uri=self.redirect_uri,
                                           code_verifier=verifier or client.code_verifier,
                                           include_client_id=not self.client_secret)
        return self.post_token(body)

    def refresh(self, client, refresh_token):
        extra = {} if self.client_secret else {"client_id": self.client_id}
        return self.post_token(client.prepare_refresh_body(refresh_token=refresh_token, **extra))

    def users_me(self, client, fields):
        """GET /2/users/me with the Bearer header oauthlib adds for the client's token."""
        uri, headers, _ = client.add_token(f"{self.base}/2/users/me?" +
                                           urllib.parse.urlencode({"user.fields": fields}))
        return self.http.get(uri, headers=headers, timeout=5)
