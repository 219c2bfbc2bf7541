#!/usr/bin/python3
"""Proves the OAuth 2.0 reference provider (provider.py) works, so a test that
points a client at it can trust its verdicts.

Drives it with python3-oauthlib's WebApplicationClient (tests/emulator/
oauth2_client.py): a confidential client (HTTP Basic) and a public client
(client_id in the body) each go authorize -> token -> /2/users/me -> refresh;
the provider must refuse a reused code (revoking its tokens), a PKCE mismatch,
an expired code, an old refresh token, a missing or wrong client
authentication, an unknown client and an unregistered redirect URI (error page,
no redirect), and answer Cancel on its --consent page with access_denied. Its
JSON-lines log must record what the client sent (Basic scheme and client id,
code_verifier matching the S256 challenge) and never the client secret.

Usage: tests/oauth2_reference/provider_selftest.py     (loopback only)
"""

import base64
import hashlib
import json
import os
import sys
import tempfile

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "emulator"))

from oauthlib.oauth2.rfc6749 import errors as oauth_errors  # noqa: E402

from consent_form import open_page  # noqa: E402
from emulator_process import ListeningProcess, STOP_DEADLINE_S  # noqa: E402
from live_checks import check, failures, refused_with  # noqa: E402
from oauth2_client import OAuth2TestClient, token_refused, wait_past  # noqa: E402

PROVIDER = os.path.join(HERE, "provider.py")
CLIENT_ID = "reference-client"
CLIENT_SECRET = "reference-secret-do-not-log"
REDIRECT = "http://127.0.0.1:9/signup/callback"
SCOPES = ["tweet.read", "users.read", "offline.access"]


def start(log, *extra):
    return ListeningProcess(["/usr/bin/python3", PROVIDER, "--port", "0", "--client-id", CLIENT_ID,
                             "--redirect-uri", REDIRECT, "--log", log, *extra], "oauth2-reference")


def confidential(provider):
    print("confidential client")
    api = OAuth2TestClient(provider.base, CLIENT_ID, REDIRECT, CLIENT_SECRET)
    client, code = api.authorize(SCOPES)
    answer = api.exchange(client, code)
    token = client.parse_request_body_response(answer.text, scope=SCOPES)
    check(answer.status_code == 200 and "refresh_token" in token and token["expires_in"] == 7200,
          "a code exchanged with HTTP Basic gives access and refresh tokens")
    me = api.users_me(client, "id,name,username,profile_image_url")
    check(me.status_code == 200 and me.json()["data"]["username"] == "zoe_perch", "/2/users/me answers the user")
    denied = api.users_me(client, "id,confirmed_email")
    check(denied.status_code == 403 and denied.json()["detail"] == "Missing required OAuth2 scopes: users.email",
          "confirmed_email without users.email is 403")
    check(token_refused(client, api.exchange(client, code), oauth_errors.InvalidGrantError),
          "a reused code is refused")
    check(api.users_me(client, "id").status_code == 401, "and the tokens it gave are revoked")

    client, code = api.authorize(SCOPES + ["users.email"])
    client.parse_request_body_response(api.exchange(client, code).text)
    check(api.users_me(client, "confirmed_email").json()["data"].get("confirmed_email") == "zoe.angstrom@example.org",
          "with users.email, confirmed_email is given")
    old = client.refresh_token
    client.parse_request_body_response(api.refresh(client, old).text)
    check(client.refresh_token != old and api.users_me(client, "id").status_code == 200,
          "a refresh rotates the refresh token and the new access token works")
    check(token_refused(client, api.refresh(client, old), oauth_errors.InvalidGrantError),
          "the old refresh token is refused")

    client, code = api.authorize(SCOPES)
    wrong = api.new_oauthlib_client().create_code_verifier(64)
    check(token_refused(client, api.exchange(client, code, wrong), oauth_errors.InvalidGrantError),
          "a PKCE mismatch is refused")
    no_basic = client.prepare_request_body(code=code, redirect_uri=REDIRECT, code_verifier=client.code_verifier)
    check(token_refused(client, api.post_token(no_basic, basic=False), oauth_errors.InvalidClientError),
          "a confidential client without HTTP Basic is invalid_client")
    liar = OAuth2TestClient(provider.base, CLIENT_ID, REDIRECT, "not-the-secret")
    check(token_refused(client, liar.exchange(client, code), oauth_errors.InvalidClientError),
          "a wrong client secret is invalid_client")

    for who, redirect in (("someone-else", REDIRECT), (CLIENT_ID, REDIRECT + "/other")):
        _, url, _ = OAuth2TestClient(provider.base, who, redirect).start(SCOPES)
        status, headers, _ = open_page(url)
        check(status == 400 and headers.get("Location") is None,
              f"client {who} with redirect {redirect}: an error page, no redirect")


def public(log):
    print("public client")
    provider = start(log)
    try:
        api = OAuth2TestClient(provider.base, CLIENT_ID, REDIRECT)
        client, code = api.authorize(SCOPES)
        check(api.exchange(client, code).status_code == 200, "a public client exchanges with client_id in the body")
        client, code = api.authorize(SCOPES)
        client.parse_request_body_response(api.exchange(client, code).text)
        check(api.refresh(client, client.refresh_token).status_code == 200, "and refreshes with client_id")
        client, code = api.authorize(SCOPES)
        with_basic = OAuth2TestClient(provider.base, CLIENT_ID, REDIRECT, "any-secret")
        check(with_basic.exchange(client, code).status_code == 401, "a public client sending Basic is refused")
    finally:
        provider.stop()


def consent_and_expiry(log):
    print("--consent page and --code-ttl")
    provider = start(log, "--client-secret", CLIENT_SECRET, "--consent", "--code-ttl", "1")
    try:
        api = OAuth2TestClient(provider.base, CLIENT_ID, REDIRECT, CLIENT_SECRET)
        client, url, _ = api.start(SCOPES)
        status, location = api.consent(url, allow=False)
        check(status == 302 and refused_with(oauth_errors.AccessDeniedError,
                                             lambda: client.parse_request_uri_response(location)),
              "Cancel on the consent page redirects with access_denied")
        client, code = api.authorize(SCOPES)
        wait_past(1.05)  # the code was issued before its redirect reached us
        check(token_refused(client, api.exchange(client, code), oauth_errors.InvalidGrantError),
              "a code older than --code-ttl is refused")
    finally:
        provider.stop()


def s256(verifier):
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def check_log(log):
    print("the request log")
    with open(log, encoding="utf-8") as file:
        text = file.read()
    entries = [json.loads(line) for line in text.splitlines()]
    check(CLIENT_SECRET not in text and "any-secret" not in text and "not-the-secret" not in text,
          "no client secret is ever written to the log")
    tokens = [e for e in entries if e["path"] == "/2/oauth2/token"]
    basic = [e for e in tokens if e["headers"].get("authorization", {}).get("scheme") == "Basic"]
    check(basic and all(e["headers"]["authorization"].get("client_id") == CLIENT_ID for e in basic),
          "Basic token requests are logged with their scheme and client id only")
    challenges = {e["query"]["code_challenge"][0] for e in entries
                  if e["path"] == "/i/oauth2/authorize" and "code_challenge" in e["query"]}
    verifiers = [e["form"]["code_verifier"][0] for e in tokens if e["status"] == 200 and "code_verifier" in e["form"]]
    check(verifiers and all(s256(v) in challenges for v in verifiers),
          "each accepted code_verifier hashes (S256) to a challenge the client sent")
    check(all(isinstance(e["status"], int) and e["method"] in ("GET", "POST") for e in entries),
          "every entry has the method and the status answered")


def main():
    with tempfile.TemporaryDirectory(prefix="oauth2-reference-") as temp:
        log = os.path.join(temp, "requests.jsonl")
        provider = start(log, "--client-secret", CLIENT_SECRET)
        try:
            confidential(provider)
            public(log)
            consent_and_expiry(log)
        except Exception as error:  # report it with the provider's log, then fail
            failures.append(f"unexpected {type(error).__name__}: {error}")
            print(f"  FAIL unexpected {type(error).__name__}: {error}")
        finally:
            code, seconds = provider.stop()
        check(code == 0 and seconds < STOP_DEADLINE_S, f"SIGTERM stops the provider (exit {code}, {seconds:.2f} s)")
        check_log(log)
        if failures:
            print("provider stderr:\n  " + "\n  ".join(provider.stderr_lines[-30:]))
    print(f"provider_selftest: {len(failures)} check(s) FAILED" if failures else "provider_selftest: all checks passed")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
