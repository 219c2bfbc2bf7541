#!/usr/bin/python3
"""Proves perch-emulator against an independent OAuth 1.0a client: Debian's tweepy.

Starts the emulator on a free port, then with tweepy (requests-oauthlib underneath):
request token -> consent page (followed with urllib, like a browser would) ->
access token -> verify_credentials, and checks the user fields arrive intact.
Also checks that the emulator refuses what it must: a wrong signature (401 code 32),
a replayed exchange (401 code 89), a cancelled consent (denied=<token>), oauth_* in
the query under --strict, and that SIGTERM stops it promptly.

Usage: tests/emulator/tweepy_flow.py [path/to/perch-emulator]
       (default: $PERCH_EMULATOR or build/native/bin/perch-emulator)
Needs /usr/bin/python3 with python3-tweepy. Talks to 127.0.0.1 only.
"""

import os
import sys
import urllib.parse
import urllib.request

os.environ["NO_PROXY"] = "127.0.0.1,localhost"  # never send loopback traffic to a proxy

import requests  # noqa: E402
import tweepy  # noqa: E402
from requests_oauthlib import OAuth1  # noqa: E402

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from consent_form import parse_forms, submit_form  # noqa: E402
from emulator_process import Emulator, emulator_binary, STOP_DEADLINE_S  # noqa: E402

CONSUMER_KEY = "perch-test-consumer-key"
CONSUMER_SECRET = "perch-test-consumer-secret"
CALLBACK = "http://127.0.0.1:9/signup/callback?flow=tweepy"

EXPECTED_ID = 1452019283001737216
EXPECTED_NAME = "Zo\u00eb \u00c5ngstr\u00f6m-\u00d1\u00fa\u00f1ez"

failures = []


def check(condition, what):
    if condition:
        print(f"  ok   {what}")
    else:
        print(f"  FAIL {what}")
        failures.append(what)


def emulator_handler(base):
    """tweepy 4 hard-codes https://api.twitter.com/oauth/...; point it at the emulator."""

    class EmulatorOAuth1UserHandler(tweepy.OAuth1UserHandler):
        def _get_oauth_url(self, endpoint):
            return f"{base}/oauth/{endpoint}"

    return EmulatorOAuth1UserHandler


class PlainHttpSession(requests.Session):
    """tweepy.API builds 'https://' + host + path. The emulator speaks plain HTTP,
    so rewrite the scheme *before* requests-oauthlib signs the URL: the signature
    then covers exactly the URL the emulator receives."""

    def __init__(self, host):
        super().__init__()
        self.trust_env = False
        self.https_prefix = f"https://{host}/"
        self.http_prefix = f"http://{host}/"

    def request(self, method, url, *args, **kwargs):
        if url.startswith(self.https_prefix):
            url = self.http_prefix + url[len(self.https_prefix):]
        return super().request(method, url, *args, **kwargs)


def emulator_api(auth, port):
    api = tweepy.API(auth, host=f"127.0.0.1:{port}", timeout=5)
    api.session = PlainHttpSession(f"127.0.0.1:{port}")
    return api


def open_consent_page(authorize_url):
    with urllib.request.urlopen(authorize_url, timeout=5) as response:
        page = response.read().decode("utf-8")
        return response.status, response.headers, page


def twitter_errors(response):
    try:
        return response.json()
    except ValueError:
        return None


def full_flow(emulator):
    print("tweepy: full sign-in flow")
    handler_class = emulator_handler(emulator.base)
    auth = handler_class(CONSUMER_KEY, CONSUMER_SECRET, callback=CALLBACK)
    authorize_url = auth.get_authorization_url(signin_with_twitter=True)
    request_token = auth.request_token["oauth_token"]
    check(authorize_url.startswith(f"{emulator.base}/oauth/authenticate?oauth_token="),
          "get_authorization_url points at the emulator's /oauth/authenticate")
    check(auth.request_token.get("oauth_callback_confirmed") == "true",
          "request_token answered oauth_callback_confirmed=true")

    status, headers, page = open_consent_page(authorize_url)
    check(status == 200, "consent page answers 200")
    check("default-src 'none'" in headers.get("Content-Security-Policy", ""),
          "consent page has a restrictive Content-Security-Policy")
    check(EXPECTED_NAME in page and "@zoe_perch" in page, "consent page shows the user")
    check("<script" not in page and "http://" not in page.split("</title>")[1].split("<form")[0],
          "consent page loads no script and no external resource")
    allow = parse_forms(page).get("oauth_form")
    check(allow is not None and allow["method"] == "post", "consent page has the Authorize form")
    check("Authorize app" in page and "Cancel" in page, "consent page has both buttons")

    status, location = submit_form(emulator.base, allow)
    check(status in (302, 303) and location is not None, "Authorize app redirects")
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)
    check(location.startswith("http://127.0.0.1:9/signup/callback?flow=tweepy&"),
          "redirect goes to the registered callback, keeping its query")
    check(query.get("oauth_token") == [request_token], "redirect carries the request token")
    verifier = query.get("oauth_verifier", [""])[0]
    check(len(verifier) >= 16, "redirect carries an oauth_verifier")

    status, _ = submit_form(emulator.base, allow)
    check(status == 410, "the consent form cannot be answered twice")

    access_token, access_secret = auth.get_access_token(verifier)
    check(access_token.startswith(f"{EXPECTED_ID}-"), "access token starts with the user id")

    try:
        auth.get_access_token(verifier)
        check(False, "a replayed access_token exchange is refused")
    except tweepy.TweepyException as error:
        check("401" in str(error), "a replayed access_token exchange is refused (401)")

    api = emulator_api(auth, emulator.port)
    user = api.verify_credentials(include_email=True, skip_status=True, include_entities=False)
    raw = user._json
    check(user.id == EXPECTED_ID and user.id_str == str(EXPECTED_ID),
          "verify_credentials: 64-bit id and id_str agree exactly")
    check(user.name == EXPECTED_NAME, "verify_credentials: non-ASCII name intact")
    check(user.screen_name == "zoe_perch", "verify_credentials: screen_name")
    check(user.profile_image_url_https.endswith("_normal.jpg"),
          "verify_credentials: _normal image URL")
    check("utc_offset" in raw and raw["utc_offset"] is None, "verify_credentials: utc_offset null")
    check(raw.get("email") == "zoe.angstrom@example.org", "include_email=true returns the email")
    check("status" not in raw, "skip_status=true leaves out status")
    check("entities" not in raw, "include_entities=false leaves out entities")

    plain = emulator_api(auth, emulator.port).verify_credentials()._json
    check("email" not in plain, "without include_email there is no email")
    check("status" in plain and "entities" in plain, "without skip_status/include_entities both appear")

    # The raw body too: the id must be an exact JSON integer, not a float.
    signed = OAuth1(CONSUMER_KEY, CONSUMER_SECRET, access_token, access_secret)
    body = requests.get(f"{emulator.base}/1.1/account/verify_credentials.json", auth=signed,
                        timeout=5).text
    check(f'"id":{EXPECTED_ID},' in body, "the JSON body carries the id as an exact integer")
    return access_token, access_secret


def negative_checks(emulator, access_token, access_secret):
    print("tweepy: refusals")
    url = f"{emulator.base}/oauth/request_token"
    wrong = OAuth1(CONSUMER_KEY, "not-the-secret", callback_uri=CALLBACK)
    response = requests.post(url, auth=wrong, timeout=5)
    check(response.status_code == 401 and twitter_errors(response) ==
          {"errors": [{"code": 32, "message": "Could not authenticate you."}]},
          "a request_token signed with the wrong secret gets 401 code 32")

    unknown = OAuth1("someone-else", CONSUMER_SECRET, callback_uri=CALLBACK)
    response = requests.post(url, auth=unknown, timeout=5)
    check(response.status_code == 401 and twitter_errors(response)["errors"][0]["code"] == 32,
          "an unknown consumer key gets 401 code 32")

    handler_class = emulator_handler(emulator.base)
    bad_auth = handler_class(CONSUMER_KEY, CONSUMER_SECRET, access_token, access_secret + "x")
    try:
        emulator_api(bad_auth, emulator.port).verify_credentials()
        check(False, "verify_credentials with a wrong token secret is refused")
    except tweepy.Unauthorized as error:
        check(error.api_codes == [32], "verify_credentials with a wrong token secret: 401 code 32")

    stale = OAuth1(CONSUMER_KEY, CONSUMER_SECRET, access_token + "0", access_secret)
    response = requests.get(f"{emulator.base}/1.1/account/verify_credentials.json", auth=stale,
                            timeout=5)
    check(response.status_code == 401 and twitter_errors(response)["errors"][0]["code"] == 89,
          "an unknown access token gets 401 code 89")

    in_query = OAuth1(CONSUMER_KEY, CONSUMER_SECRET, callback_uri=CALLBACK,
                      signature_type="query")
    response = requests.post(url, auth=in_query, timeout=5)
    body = twitter_errors(response) or {}
    check(response.status_code == 400 and "strict" in body.get("perch_emulator", ""),
          "--strict refuses oauth_* parameters in the query string")

    # Cancel: the callback gets denied=<request token>.
    auth = handler_class(CONSUMER_KEY, CONSUMER_SECRET, callback=CALLBACK)
    authorize_url = auth.get_authorization_url()
    _, _, page = open_consent_page(authorize_url)
    status, location = submit_form(emulator.base, parse_forms(page)["cancel_form"])
    query = urllib.parse.parse_qs(urllib.parse.urlsplit(location or "").query)
    check(status in (302, 303) and query.get("denied") == [auth.request_token["oauth_token"]]
          and "oauth_verifier" not in query, "Cancel redirects with denied=<token>")


def main():
    binary = emulator_binary()
    emulator = Emulator(binary, CONSUMER_KEY, CONSUMER_SECRET)
    try:
        access_token, access_secret = full_flow(emulator)
        negative_checks(emulator, access_token, access_secret)
    except Exception as error:  # report it with the emulator's log, then fail
        failures.append(f"unexpected {type(error).__name__}: {error}")
        print(f"  FAIL unexpected {type(error).__name__}: {error}")
    finally:
        code, seconds = emulator.stop()
    print("perch-emulator: stop")
    check(code == 0, f"SIGTERM stops the emulator with exit code 0 (got {code})")
    check(seconds < STOP_DEADLINE_S, f"SIGTERM stops it promptly ({seconds:.2f} s)")
    if failures:
        print("emulator log:\n  " + "\n  ".join(emulator.stderr_lines[-30:]))
        print(f"tweepy_flow: {len(failures)} check(s) FAILED")
        return 1
    print("tweepy_flow: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
