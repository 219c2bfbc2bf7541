"""The reference provider's storage and policy: a python3-oauthlib RequestValidator
for one client, with codes and tokens in memory (see provider.py)."""

import base64
import binascii
import secrets
import time
import urllib.parse

from oauthlib.oauth2 import RequestValidator

X_SCOPES = {
    "tweet.read", "tweet.write", "tweet.moderate.write", "users.read", "users.email", "follows.read",
    "follows.write", "offline.access", "space.read", "mute.read", "mute.write", "like.read", "like.write",
    "list.read", "list.write", "block.read", "block.write", "bookmark.read", "bookmark.write", "dm.read",
    "dm.write", "media.write", "timeline.read",
}
USER = {
    "id": "1452019283001737216",
    "name": "Zo\u00eb \u00c5ngstr\u00f6m-\u00d1\u00fa\u00f1ez",
    "username": "zoe_perch",
    "profile_image_url": "https://pbs.twimg.com/profile_images/1452019519052296193/Zq3v_normal.jpg",
    "confirmed_email": "zoe.angstrom@example.org",
}


class Client:
    def __init__(self, client_id):
        self.client_id = client_id


def basic_credentials(headers):
    """(client_id, secret) from an HTTP Basic Authorization header, or None."""
    value = headers.get("Authorization", "")
    scheme, _, encoded = value.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        user, sep, password = base64.b64decode(encoded.strip(), validate=True).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return None
    return (urllib.parse.unquote_plus(user), urllib.parse.unquote_plus(password)) if sep else None


class Validator(RequestValidator):
    """oauthlib's storage and policy hooks: one client, codes and tokens in memory."""

    def __init__(self, settings):
        super().__init__()
        self.settings = settings
        self.codes = {}    # code -> dict(client_id, redirect_uri, scopes, challenge, method, expires, used, tokens)
        self.access = {}   # access token -> dict(scopes, expires)
        self.refresh = {}  # refresh token -> dict(scopes)

    # -- clients
    def _is_client(self, client_id):
        return bool(client_id) and secrets.compare_digest(client_id, self.settings.client_id)

    def validate_client_id(self, client_id, request, *args, **kwargs):
        return self._is_client(client_id)

    def client_authentication_required(self, request, *args, **kwargs):
        return bool(self.settings.client_secret)

    def authenticate_client(self, request, *args, **kwargs):
        credentials = basic_credentials(request.headers)
        if credentials is None or getattr(request, "client_secret", None):
            return False
        client_id, secret = credentials
        if not self._is_client(client_id) or not secrets.compare_digest(secret, self.settings.client_secret):
            return False
        if request.client_id not in (None, client_id):
            return False
        request.client = Client(client_id)
        return True

    def authenticate_client_id(self, client_id, request, *args, **kwargs):
        if "Authorization" in request.headers or not self._is_client(client_id):
            return False
        request.client = Client(client_id)
        return True

    def validate_grant_type(self, client_id, grant_type, client, request, *args, **kwargs):
        return grant_type in ("authorization_code", "refresh_token")

    # -- authorization requests
    def validate_redirect_uri(self, client_id, redirect_uri, request, *args, **kwargs):
        return redirect_uri in self.settings.redirect_uri

    def get_default_redirect_uri(self, client_id, request, *args, **kwargs):
        return None  # X wants redirect_uri on every request

    def validate_response_type(self, client_id, response_type, client, request, *args, **kwargs):
        return response_type == "code"

    def validate_scopes(self, client_id, scopes, client, request, *args, **kwargs):
        return bool(scopes) and all(scope in X_SCOPES for scope in scopes)

    def get_default_scopes(self, client_id, request, *args, **kwargs):
        return []

    def is_pkce_required(self, client_id, request):
        return True

    def save_authorization_code(self, client_id, code, request, *args, **kwargs):
        self.codes[code["code"]] = {
            "client_id": client_id, "redirect_uri": request.redirect_uri, "scopes": list(request.scopes),
            "challenge": request.code_challenge, "method": request.code_challenge_method,
            "expires": time.monotonic() + self.settings.code_ttl, "used": False, "tokens": [],
        }

    # -- the code exchange
    def validate_code(self, client_id, code, client, request, *args, **kwargs):
        record = self.codes.get(code)
        if record is None or record["client_id"] != client_id:
            return False
        if record["used"]:
            # RFC 6749 §4.1.2: a reused code revokes what it gave.
            for token in record["tokens"]:
                self.access.pop(token, None)
                self.refresh.pop(token, None)
            return False
        if time.monotonic() >= record["expires"]:
            return False
        request.user = USER["id"]
        request.scopes = list(record["scopes"])
        return True

    def get_code_challenge(self, code, request):
        record = self.codes.get(code)
        return record["challenge"] if record else None

    def get_code_challenge_method(self, code, request):
        record = self.codes.get(code)
        return record["method"] if record else None

    def confirm_redirect_uri(self, client_id, code, redirect_uri, client, request, *args, **kwargs):
        record = self.codes.get(code)
        return record is not None and record["redirect_uri"] == redirect_uri

    def invalidate_authorization_code(self, client_id, code, request, *args, **kwargs):
        self.codes[code]["used"] = True

    # -- tokens
    def save_bearer_token(self, token, request, *args, **kwargs):
        scopes = token.get("scope", "").split()
        self.access[token["access_token"]] = {"scopes": scopes,
                                              "expires": time.monotonic() + self.settings.access_token_ttl}
        issued = [token["access_token"]]
        if "refresh_token" in token:
            self.refresh[token["refresh_token"]] = {"scopes": scopes}
            issued.append(token["refresh_token"])
        if request.grant_type == "refresh_token":
            self.refresh.pop(request.refresh_token, None)  # rotation: the old one is spent
        elif request.code in self.codes:
            self.codes[request.code]["tokens"] = issued

    def validate_refresh_token(self, refresh_token, client, request, *args, **kwargs):
        if refresh_token not in self.refresh:
            return False
        request.user = USER["id"]
        return True

    def get_original_scopes(self, refresh_token, request, *args, **kwargs):
        return list(self.refresh[refresh_token]["scopes"])

    def rotate_refresh_token(self, request):
        return True

    def validate_bearer_token(self, token, scopes, request):
        record = self.access.get(token or "")
        if record is None or time.monotonic() >= record["expires"]:
            request.perch_refusal = 401
            return False
        request.scopes = record["scopes"]
        if not all(scope in record["scopes"] for scope in scopes):
            request.perch_refusal = 403
            return False
        return True
