#!/usr/bin/python3
"""Proves an independent OAuth 1.0a implementation (Debian's python3-oauthlib)
agrees with what perch-proxy signs.

    python3 tests/proxy/provider/oauthlib_check.py PERCH_SIGN [PERCH_PROXY]

PERCH_SIGN is the perch-sign test tool (tests/proxy/app/perch_sign_main.cpp):
  1. `perch-sign` (== `perch-proxy sign`): for every case, oauthlib's base string
     and HMAC-SHA1 signature must equal ours, and oauthlib's verify_hmac_sha1
     must accept our signature.
  2. `perch-sign --header`: the Authorization header the proxy's OAuthSigner
     builds (real clock, CSPRNG nonce) must pass oauthlib's SignatureOnlyEndpoint,
     which also refuses oauth_* parameters outside the header, duplicates, bad
     versions and stale timestamps. Tampered requests must fail, so the check can fail.
If PERCH_PROXY is given, `PERCH_PROXY sign` must print exactly what perch-sign prints.
Exits 0 when everything agrees, 1 otherwise.
"""

import json
import subprocess
import sys
import time
import urllib.parse

from oauthlib.common import Request
from oauthlib.oauth1 import RequestValidator, SignatureOnlyEndpoint
from oauthlib.oauth1.rfc5849 import signature

failures = []


def check(condition, what):
    if condition:
        print("ok   " + what)
    else:
        print("FAIL " + what)
        failures.append(what)


def run(command, payload):
    done = subprocess.run(command, input=json.dumps(payload).encode(), capture_output=True, timeout=30)
    if done.returncode != 0:
        raise RuntimeError("%s exited %d: %s" % (command, done.returncode, done.stderr.decode(errors="replace")))
    return json.loads(done.stdout)


def form_body(pairs):
    # application/x-www-form-urlencoded the way RFC 5849 §3.4.1.3.1 reads it back.
    return "&".join(urllib.parse.quote(n, safe="") + "=" + urllib.parse.quote(v, safe="") for n, v in pairs)


# ---------------------------------------------------------------- 1. base strings

TWITTER = {
    "method": "POST",
    "url": "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
    "form": [["status", "Hello Ladies + Gentlemen, a signed OAuth request!"]],
    "oauth": [["oauth_consumer_key", "xvz1evFS4wEEPTGEFPHBog"],
              ["oauth_nonce", "kYjzVBB8Y0ZFabxSWbWovY3uYSQ2pTgmZeNu2VS4cg"],
              ["oauth_signature_method", "HMAC-SHA1"],
              ["oauth_timestamp", "1318622958"],
              ["oauth_token", "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb"],
              ["oauth_version", "1.0"]],
    "consumer_secret": "kAcSOqF21Fu85e7zjz7ZN2U4ZRhfV3WpwPAoE3Z7kBw",
    "token_secret": "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
}


def oauth(extra=(), token=None):
    params = [["oauth_consumer_key", "ck-perch"], ["oauth_nonce", "n0nceValue_-AbC"],
              ["oauth_signature_method", "HMAC-SHA1"], ["oauth_timestamp", "1700000000"],
              ["oauth_version", "1.0"]]
    if token:
        params.append(["oauth_token", token])
    return params + [list(pair) for pair in extra]


BASE_CASES = {
    "Twitter's 'Creating a signature' example": TWITTER,
    "RFC 5849 §3.4.1.1 example (encoded query, repeated names, empty values)": {
        "method": "POST",
        "url": "http://example.com/request?b5=%3D%253D&a3=a&c%40=&a2=r%20b",
        "form": [["c2", ""], ["a3", "2 q"]],
        "oauth": oauth(token="kkk9d7dh3k39sjv7"),
        "consumer_secret": "j49sk3j29djd", "token_secret": "dh893hdasih9",
    },
    "request_token with a callback that has its own query": {
        "method": "POST", "url": "https://api.twitter.com/oauth/request_token", "form": [],
        "oauth": oauth([("oauth_callback", "http://127.0.0.1:8080/signup/callback?next=/a b&x=%41")]),
        "consumer_secret": "cs", "token_secret": "",
    },
    "access_token with token and verifier": {
        "method": "POST", "url": "https://api.twitter.com/oauth/access_token", "form": [],
        "oauth": oauth([("oauth_verifier", "hfdp7dh39dks9884")], token="hh5s93j4hdidpola"),
        "consumer_secret": "kd94hf93k423kf44", "token_secret": "hdhd0244k9j7ao03",
    },
    "verify_credentials query": {
        "method": "GET",
        "url": "https://api.twitter.com/1.1/account/verify_credentials.json"
               "?include_email=true&skip_status=true&include_entities=false",
        "form": [], "oauth": oauth(token="99-access"),
        "consumer_secret": "cs&with=odd chars", "token_secret": "ts%2B",
    },
    "unicode in query and body, percent-encoded path": {
        "method": "post",
        "url": "HTTP://Example.COM:8080/caf%C3%A9/%E2%9C%93?q=na%C3%AFve&emoji=%F0%9F%90%A6",
        "form": [["status", "Zoë 🐦 — ünïcödé"], ["name", "日本語"]],
        "oauth": oauth(token="t"),
        "consumer_secret": "sécret", "token_secret": "tökén",
    },
    "reserved characters and sorting by value": {
        "method": "POST", "url": "https://api.example.com:443/x",
        "form": [["a", "2"], ["a", "1"], ["a", "10"], ["b", "!*'()~-._ +&=%"], ["A", "upper"]],
        "oauth": oauth(), "consumer_secret": "c", "token_secret": "t",
    },
    "default http port dropped, empty path": {
        "method": "GET", "url": "http://api.example.com:80", "form": [], "oauth": oauth(),
        "consumer_secret": "c", "token_secret": "",
    },
}


def sign_input(case):
    query = urllib.parse.urlsplit(case["url"]).query
    # Every decoded pair that enters the base string, collected by oauthlib itself
    # from the raw query and body: so our params list is what a server would see.
    params = signature.collect_parameters(uri_query=query, body=form_body(case["form"]))
    params = [list(p) for p in params] + case["oauth"]
    return {"method": case["method"], "url": case["url"], "params": params,
            "consumer_secret": case["consumer_secret"], "token_secret": case["token_secret"]}


def check_base_strings(perch_sign, perch_proxy):
    for name, case in BASE_CASES.items():
        payload = sign_input(case)
        ours = run([perch_sign], payload)
        pairs = [tuple(p) for p in payload["params"]]
        expected_base = signature.signature_base_string(
            case["method"].upper(), signature.base_string_uri(case["url"]), signature.normalize_parameters(pairs))
        expected_signature = signature.sign_hmac_sha1(expected_base, case["consumer_secret"], case["token_secret"])
        check(ours["base_string"] == expected_base, name + ": base string equals oauthlib's")
        check(ours["signature"] == expected_signature, name + ": signature equals oauthlib's")

        request = Request(case["url"], case["method"].upper())
        request.params = pairs
        request.signature = ours["signature"]
        check(signature.verify_hmac_sha1(request, case["consumer_secret"], case["token_secret"]),
              name + ": oauthlib verify_hmac_sha1 accepts our signature")
        if perch_proxy:
            check(run([perch_proxy, "sign"], payload) == ours, name + ": perch-proxy sign prints the same")

    twitter = run([perch_sign], sign_input(TWITTER))
    check(twitter["signature"] == "hCtSmYh+iHYCEqBWrE7C7hYmtUk=", "Twitter's example is hCtSmYh+iHYCEqBWrE7C7hYmtUk=")

    # The check itself must be able to fail: a different token secret is refused.
    request = Request(TWITTER["url"], "POST")
    request.params = [tuple(p) for p in sign_input(TWITTER)["params"]]
    request.signature = twitter["signature"]
    check(not signature.verify_hmac_sha1(request, TWITTER["consumer_secret"], "wrong"),
          "oauthlib refuses the Twitter example with a wrong token secret")


# ---------------------------------------------------------------- 2. Authorization headers

class Validator(RequestValidator):
    """Accepts one consumer and its tokens; every nonce once; timestamps within 5 minutes."""

    enforce_ssl = False  # the cases include http://127.0.0.1 test bases

    def __init__(self, consumer_key, consumer_secret, token, token_secret):
        super().__init__()
        self.consumer_key, self.consumer_secret = consumer_key, consumer_secret
        self.token, self.token_secret = token, token_secret
        self.nonces = set()

    @property
    def dummy_client(self):
        return "dummy"

    def validate_client_key(self, client_key, request):
        return client_key == self.consumer_key

    def get_client_secret(self, client_key, request):
        return self.consumer_secret if client_key == self.consumer_key else "dummy"

    def get_access_token_secret(self, client_key, token, request):
        return self.token_secret if token == self.token else "dummy"

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request, request_token=None,
                                     access_token=None):
        if abs(int(timestamp) - int(time.time())) > 300 or (timestamp, nonce) in self.nonces:
            return False
        if not self.check_nonce(nonce):  # oauthlib's default: 20 to 30 safe characters
            return False
        self.nonces.add((timestamp, nonce))
        return True


HEADER_CASES = {
    "request_token: oauth_callback only in the header": {
        "method": "POST", "url": "http://127.0.0.1:9000/oauth/request_token",
        "callback": "http://127.0.0.1:8080/signup/callback",
    },
    "access_token: oauth_token and oauth_verifier only in the header": {
        "method": "POST", "url": "https://api.twitter.com/oauth/access_token",
        "token": "reqTOKEN123", "token_secret": "reqSECRET456", "verifier": "verifier-XYZ",
    },
    "verify_credentials: GET with a query": {
        "method": "GET",
        "url": "https://api.twitter.com/1.1/account/verify_credentials.json"
               "?include_email=true&skip_status=true&include_entities=false",
        "token": "99-accessTOKEN", "token_secret": "accessSECRET789",
    },
    "POST with a unicode form body and a query": {
        "method": "POST", "url": "https://api.twitter.com/1.1/statuses/update.json?include_entities=true",
        "form": [["status", "Zoë 🐦 + café & more"], ["lat", "37.7821120598956"]],
        "token": "370773112-GmHxMAgYyLbNEtIKZeRNFsMKPR9EyMZeS9weJAEb",
        "token_secret": "LswwdoUaIvS8ltyTt5jkRh4J50vUPVVHtR2YPi5kE",
    },
}


def check_headers(perch_sign):
    for name, case in HEADER_CASES.items():
        payload = dict(case, consumer_key="ckPerchProxyOauthlib01", consumer_secret="csPerchProxyOauthlibSecret")
        header = run([perch_sign, "--header"], payload)["authorization"]
        check(header.startswith("OAuth "), name + ": Authorization uses the OAuth scheme")
        params = dict(signature.collect_parameters(headers={"Authorization": header}))
        check(params.get("oauth_version") == "1.0" and params.get("oauth_signature_method") == "HMAC-SHA1",
              name + ": header names HMAC-SHA1 and version 1.0")
        form = case.get("form", [])
        body = form_body(form) if form else ""
        headers = {"Authorization": header}
        if case["method"] == "POST":
            headers["Content-Type"] = "application/x-www-form-urlencoded"

        endpoint = SignatureOnlyEndpoint(Validator("ckPerchProxyOauthlib01", "csPerchProxyOauthlibSecret",
                                                   case.get("token"), case.get("token_secret")))
        valid, request = endpoint.validate_request(case["url"], case["method"], body, headers)
        check(valid, name + ": oauthlib SignatureOnlyEndpoint accepts the request")
        if request is not None:
            check(request.redirect_uri == case.get("callback"), name + ": oauthlib reads the same oauth_callback")
            check(request.verifier == case.get("verifier"), name + ": oauthlib reads the same oauth_verifier")

        replay, _ = endpoint.validate_request(case["url"], case["method"], body, headers)
        check(not replay, name + ": the same nonce is refused the second time (the check can fail)")

        fresh = SignatureOnlyEndpoint(Validator("ckPerchProxyOauthlib01", "csPerchProxyOauthlibSecret",
                                                case.get("token"), case.get("token_secret")))
        tampered_url = case["url"] + ("&" if "?" in case["url"] else "?") + "extra=1"
        tampered, _ = fresh.validate_request(tampered_url, case["method"], body, headers)
        check(not tampered, name + ": an added query parameter breaks the signature")

    # Protocol parameters split between header and body are refused by oauthlib:
    # the signer never does it, and a check that could not see it would prove nothing.
    payload = dict(HEADER_CASES["request_token: oauth_callback only in the header"],
                   consumer_key="ckPerchProxyOauthlib01", consumer_secret="csPerchProxyOauthlibSecret")
    header = run([perch_sign, "--header"], payload)["authorization"]
    endpoint = SignatureOnlyEndpoint(Validator("ckPerchProxyOauthlib01", "csPerchProxyOauthlibSecret", None, None))
    split, _ = endpoint.validate_request(payload["url"], "POST", "oauth_verifier=x",
                                         {"Authorization": header,
                                          "Content-Type": "application/x-www-form-urlencoded"})
    check(not split, "oauthlib refuses oauth_* parameters split between header and body")


def main(argv):
    if len(argv) not in (2, 3):
        print(__doc__)
        return 2
    perch_sign = argv[1]
    perch_proxy = argv[2] if len(argv) == 3 else None
    check_base_strings(perch_sign, perch_proxy)
    check_headers(perch_sign)
    print()
    if failures:
        print("%d check(s) failed" % len(failures))
        return 1
    print("all checks passed: oauthlib agrees with perch-proxy's signing")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
