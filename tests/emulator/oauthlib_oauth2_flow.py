#!/usr/bin/python3
"""Proves perch-emulator's OAuth 2.0 endpoints against an independent client.

python3-oauthlib's WebApplicationClient (see oauth2_client.py) drives the real
binary on 127.0.0.1: authorize -> consent page (its form submitted like a
browser) -> token (confidential client with HTTP Basic, and public client with
client_id in the body) -> /2/users/me with and without users.email -> refresh
(rotation: the old refresh token is refused). Refusals, each parsed by oauthlib:
a reused code, a PKCE mismatch, an expired code (an emulator with --code-ttl 1;
the test waits until that second has passed on the monotonic clock both
processes share), Cancel (access_denied), an unknown client (error page, no
redirect), and a 429 with X's rate-limit headers over a real socket.

Usage: tests/emulator/oauthlib_oauth2_flow.py [path/to/perch-emulator]
Needs /usr/bin/python3 with python3-oauthlib and python3-requests. Loopback only.
"""

import os
import sys
import time

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from oauthlib.oauth2.rfc6749 import errors as oauth_errors  # noqa: E402

from consent_form import open_page  # noqa: E402
from emulator_process import Emulator, emulator_binary, STOP_DEADLINE_S  # noqa: E402
from live_checks import check, failures, refused_with  # noqa: E402
from oauth2_client import OAuth2TestClient, token_refused, wait_past  # noqa: E402

CLIENT_ID = "perch-oauthlib-client"
CLIENT_SECRET = "perch-oauthlib-secret"
REDIRECT = "http://127.0.0.1:9/signup/callback"
SCOPES = ["tweet.read", "users.read", "offline.access"]
EXPECTED_ID = "1452019283001737216"
EXPECTED_NAME = "Zo\u00eb \u00c5ngstr\u00f6m-\u00d1\u00fa\u00f1ez"


def start(binary, *extra):
    return Emulator(binary, "unused-consumer-key", "unused-consumer-secret", "--client-id", CLIENT_ID,
                    "--allowed-redirect", REDIRECT, *extra)


def confidential_flow(emulator):
    print("confidential client (HTTP Basic)")
    api = OAuth2TestClient(emulator.base, CLIENT_ID, REDIRECT, CLIENT_SECRET)
    client, url, state = api.start(SCOPES)
    status, _, page = open_page(url)
    check(status == 200 and 'id="oauth_form"' in page and 'id="cancel_form"' in page,
          "the authorize URL oauthlib built opens the consent page with both forms")
    check(all(f'data-scope="{scope}"' in page for scope in SCOPES), "the consent page lists the requested scopes")
    status, location = api.consent(url)
    check(status == 302 and location.startswith(REDIRECT + "?state="), "Authorize app redirects to the exact URI")
    code = client.parse_request_uri_response(location, state=state)["code"]

    answer = api.exchange(client, code)
    check(answer.status_code == 200 and answer.headers.get("Cache-Control") == "no-store",
          "the code exchange answers 200 with Cache-Control: no-store")
    token = client.parse_request_body_response(answer.text, scope=SCOPES)
    check(token["token_type"] == "bearer" and token["expires_in"] == 7200, "token_type bearer, expires_in 7200")
    check(token["scope"] == SCOPES and "refresh_token" in token, "scope as granted, and a refresh token")

    me = api.users_me(client, "id,name,username,profile_image_url")
    data = me.json().get("data", {})
    check(me.status_code == 200 and data.get("id") == EXPECTED_ID and data.get("name") == EXPECTED_NAME
          and data.get("username") == "zoe_perch" and data.get("profile_image_url", "").endswith("_normal.jpg"),
          "/2/users/me with oauthlib's Bearer header returns the v2 user")
    denied = api.users_me(client, "id,confirmed_email")
    check(denied.status_code == 403 and denied.json().get("detail") == "Missing required OAuth2 scopes: users.email",
          "confirmed_email without users.email: 403 naming the missing scope")

    check(token_refused(client, api.exchange(client, code), oauth_errors.InvalidGrantError),
          "a reused code is refused (invalid_grant)")
    check(api.users_me(client, "id").status_code == 401, "and the tokens it gave are revoked")
    return api


def email_and_refresh(api):
    print("users.email and refresh rotation")
    client, code = api.authorize(SCOPES + ["users.email"])
    client.parse_request_body_response(api.exchange(client, code).text, scope=SCOPES + ["users.email"])
    me = api.users_me(client, "id,confirmed_email")
    check(me.status_code == 200 and me.json()["data"].get("confirmed_email") == "zoe.angstrom@example.org",
          "with users.email, confirmed_email is returned")

    first_refresh = client.refresh_token
    first_access = client.access_token
    renewed = api.refresh(client, first_refresh)
    token = client.parse_request_body_response(renewed.text)
    check(renewed.status_code == 200 and token["access_token"] != first_access
          and token["refresh_token"] != first_refresh, "a refresh gives a new access token and a new refresh token")
    check(api.users_me(client, "id").status_code == 200, "the refreshed access token works")
    check(token_refused(client, api.refresh(client, first_refresh), oauth_errors.InvalidGrantError),
          "the old refresh token is refused (rotation)")


def pkce_and_client_refusals(api):
    print("PKCE and client authentication")
    client, code = api.authorize(SCOPES)
    wrong = api.new_oauthlib_client().create_code_verifier(64)
    check(token_refused(client, api.exchange(client, code, wrong), oauth_errors.InvalidGrantError),
          "a code_verifier that does not match the challenge is refused (invalid_grant)")
    check(token_refused(client, api.exchange(client, code), oauth_errors.InvalidGrantError),
          "and the code is spent")

    client, code = api.authorize(SCOPES)
    no_basic = client.prepare_request_body(code=code, redirect_uri=REDIRECT, code_verifier=client.code_verifier)
    answer = api.post_token(no_basic, basic=False)
    check(answer.status_code == 401 and answer.headers.get("WWW-Authenticate", "").startswith("Basic")
          and token_refused(client, answer, oauth_errors.InvalidClientError),
          "a confidential client without HTTP Basic is invalid_client (401, WWW-Authenticate)")
    check(api.exchange(client, code).status_code == 200, "a refused client authentication leaves the code usable")

    client, url, _ = api.start(SCOPES)
    status, location = api.consent(url, allow=False)
    check(status == 302 and refused_with(oauth_errors.AccessDeniedError,
                                         lambda: client.parse_request_uri_response(location)),
          "Cancel redirects with error=access_denied")

    stranger = OAuth2TestClient(api.base, "someone-else", REDIRECT)
    _, url, _ = stranger.start(SCOPES)
    status, _, page = open_page(url)
    check(status == 400 and "<form" not in page, "an unknown client gets an error page, never a redirect")


def public_flow(binary):
    print("public client (client_id in the body)")
    emulator = start(binary)
    try:
        api = OAuth2TestClient(emulator.base, CLIENT_ID, REDIRECT)
        client, code = api.authorize(SCOPES)
        answer = api.exchange(client, code)
        token = client.parse_request_body_response(answer.text, scope=SCOPES)
        check(answer.status_code == 200 and "refresh_token" in token, "a public client exchanges its code")
        check(api.users_me(client, "id").json()["data"]["id"] == EXPECTED_ID, "and reads /2/users/me")
        renewed = api.refresh(client, client.refresh_token)
        check(renewed.status_code == 200, "and refreshes with client_id in the body")
    finally:
        emulator.stop()


def expired_code(binary):
    print("an expired code (--code-ttl 1)")
    emulator = start(binary, "--client-secret", CLIENT_SECRET, "--code-ttl", "1")
    try:
        api = OAuth2TestClient(emulator.base, CLIENT_ID, REDIRECT, CLIENT_SECRET)
        client, code = api.authorize(SCOPES)
        wait_past(1.05)  # the code was issued before its redirect reached us
        check(token_refused(client, api.exchange(client, code), oauth_errors.InvalidGrantError),
              "a code older than --code-ttl is refused (invalid_grant)")
    finally:
        emulator.stop()


def rate_limited(binary):
    print("a 429 over a real socket")
    emulator = start(binary, "--client-secret", CLIENT_SECRET, "--fault", "http429", "--fault-on", "users_me")
    try:
        api = OAuth2TestClient(emulator.base, CLIENT_ID, REDIRECT, CLIENT_SECRET)
        client, code = api.authorize(SCOPES)
        client.parse_request_body_response(api.exchange(client, code).text)
        answer = api.users_me(client, "id")
        reset = int(answer.headers.get("x-rate-limit-reset", "0"))
        check(answer.status_code == 429 and answer.headers.get("x-rate-limit-remaining") == "0"
              and abs(reset - (time.time() + 900)) < 60 and answer.json().get("title") == "Too Many Requests",
              "users_me answers 429 with x-rate-limit-remaining 0 and a reset 15 minutes ahead")
    finally:
        emulator.stop()


def main():
    binary = emulator_binary()
    emulator = start(binary, "--client-secret", CLIENT_SECRET)
    try:
        api = confidential_flow(emulator)
        email_and_refresh(api)
        pkce_and_client_refusals(api)
        public_flow(binary)
        expired_code(binary)
        rate_limited(binary)
    except Exception as error:  # report it with the emulator's log, then fail
        failures.append(f"unexpected {type(error).__name__}: {error}")
        print(f"  FAIL unexpected {type(error).__name__}: {error}")
    finally:
        code, seconds = emulator.stop()
    check(code == 0 and seconds < STOP_DEADLINE_S, f"SIGTERM stops the emulator (exit {code}, {seconds:.2f} s)")
    if failures:
        print("emulator log:\n  " + "\n  ".join(emulator.stderr_lines[-30:]))
        print(f"oauthlib_oauth2_flow: {len(failures)} check(s) FAILED")
        return 1
    print("oauthlib_oauth2_flow: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
