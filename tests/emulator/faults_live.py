#!/usr/bin/python3
"""Checks perch-emulator's fault modes over real sockets on 127.0.0.1.

Each fault is switched at run time through POST /__emulator/fault, then a request
signed by requests-oauthlib (an independent signer) must see exactly that fault:
http500 (HTML 500), http401 (401 code 89), garbage (200, unparseable bytes), drop
(connection closed, no answer), slow (answer after slow_ms; a shorter client timeout
fires). --fault/--fault-on from the command line are checked too, and SIGTERM must
stop the emulator promptly while a slow answer is being held.

Usage: tests/emulator/faults_live.py [path/to/perch-emulator]
"""

import os
import sys
import threading
import time

os.environ["NO_PROXY"] = "127.0.0.1,localhost"

import requests  # noqa: E402
from requests_oauthlib import OAuth1  # noqa: E402

sys.dont_write_bytecode = True  # no __pycache__ in the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from emulator_process import Emulator, emulator_binary, STOP_DEADLINE_S  # noqa: E402

KEY = "fault-test-key"
SECRET = "fault-test-secret"
CALLBACK = "http://127.0.0.1:9/cb"
failures = []


def check(condition, what):
    print(("  ok   " if condition else "  FAIL ") + what)
    if not condition:
        failures.append(what)


def session():
    s = requests.Session()
    s.trust_env = False
    return s


def request_token(emulator, timeout=5):
    return session().post(f"{emulator.base}/oauth/request_token",
                          auth=OAuth1(KEY, SECRET, callback_uri=CALLBACK), timeout=timeout)


def set_fault(emulator, **fields):
    response = session().post(f"{emulator.base}/__emulator/fault", data=fields, timeout=5)
    if response.status_code != 200:
        raise SystemExit(f"control endpoint refused {fields}: {response.status_code} {response.text}")
    return response.json()


def wait_for_log(emulator, text, deadline_s=5):
    """Waits (bounded) until the emulator's stderr has a line containing `text`."""
    end = time.monotonic() + deadline_s
    while time.monotonic() < end:
        if any(text in line for line in emulator.stderr_lines):
            return True
        time.sleep(0.02)
    return False


def runtime_faults(emulator):
    print("faults switched at run time")
    check(request_token(emulator).status_code == 200, "no fault: request_token answers 200")

    shown = set_fault(emulator, mode="http500", on="request_token")
    check(shown == {"mode": "http500", "on": "request_token", "slow_ms": 15000},
          "the control endpoint echoes the new plan")
    response = request_token(emulator)
    check(response.status_code == 500 and response.headers["Content-Type"].startswith("text/html")
          and response.text.startswith("<html>"), "http500: 500 with an HTML body")

    set_fault(emulator, mode="http401")
    response = request_token(emulator)
    check(response.status_code == 401 and response.json() ==
          {"errors": [{"code": 89, "message": "Invalid or expired token."}]}, "http401: 401 code 89")

    set_fault(emulator, mode="garbage")
    response = request_token(emulator)
    body = response.content
    try:
        body.decode("utf-8")
        utf8 = True
    except UnicodeDecodeError:
        utf8 = False
    check(response.status_code == 200 and b"oauth_token=" not in body and not utf8,
          "garbage: 200 with bytes that are not a token answer (not even UTF-8)")

    set_fault(emulator, mode="drop")
    started = time.monotonic()
    try:
        request_token(emulator)
        check(False, "drop: the connection closes without an answer")
    except requests.exceptions.ConnectionError as error:
        check(not isinstance(error, requests.exceptions.Timeout) and time.monotonic() - started < 2,
              "drop: the connection closes without an answer, at once")

    set_fault(emulator, mode="slow", slow_ms="1500")
    try:
        request_token(emulator, timeout=0.5)
        check(False, "slow: a 0.5 s client timeout fires")
    except requests.exceptions.ReadTimeout:
        check(True, "slow: a 0.5 s client timeout fires")
    started = time.monotonic()
    response = request_token(emulator, timeout=5)
    elapsed = time.monotonic() - started
    check(response.status_code == 200 and 1.4 <= elapsed < 4,
          f"slow: the real answer arrives after slow_ms ({elapsed:.2f} s)")

    set_fault(emulator, mode="http500", on="access_token")
    check(request_token(emulator).status_code == 200, "a fault on access_token leaves request_token alone")
    response = session().post(f"{emulator.base}/oauth/access_token", timeout=5)
    check(response.status_code == 500, "... and hits access_token")

    set_fault(emulator, mode="none")
    check(request_token(emulator).status_code == 200, "mode=none switches faults off")


def sigterm_during_slow(binary):
    print("SIGTERM while a slow answer is held")
    emulator = Emulator(binary, KEY, SECRET, "--fault", "slow", "--slow-ms", "60000")
    outcome = {}

    def call():
        try:
            outcome["status"] = request_token(emulator, timeout=30).status_code
        except requests.exceptions.RequestException as error:
            outcome["error"] = type(error).__name__

    client = threading.Thread(target=call)
    client.start()
    held = wait_for_log(emulator, "holding the answer for 60000 ms")
    check(held, "the emulator reports that it holds the answer")
    code, seconds = emulator.stop()
    client.join(timeout=10)
    check(code == 0 and seconds < 2, f"SIGTERM stops it within 2 s, exit 0 ({seconds:.2f} s, code {code})")
    check("error" in outcome and "status" not in outcome,
          f"the held client sees its connection closed ({outcome})")


def command_line_faults(binary):
    print("--fault drop --fault-on verify_credentials from the command line")
    emulator = Emulator(binary, KEY, SECRET, "--fault", "drop", "--fault-on", "verify_credentials")
    try:
        check(request_token(emulator).status_code == 200, "request_token is not faulted")
        try:
            session().get(f"{emulator.base}/1.1/account/verify_credentials.json", timeout=5)
            check(False, "verify_credentials is dropped")
        except requests.exceptions.ConnectionError:
            check(True, "verify_credentials is dropped")
    finally:
        code, _ = emulator.stop()
    check(code == 0, "it stops cleanly")


def main():
    binary = emulator_binary()
    emulator = Emulator(binary, KEY, SECRET)
    try:
        runtime_faults(emulator)
    except Exception as error:
        failures.append(f"unexpected {type(error).__name__}: {error}")
        print(f"  FAIL unexpected {type(error).__name__}: {error}")
    finally:
        code, _ = emulator.stop()
    check(code == 0, "the first emulator stops cleanly")
    sigterm_during_slow(binary)
    command_line_faults(binary)
    if failures:
        print("emulator log:\n  " + "\n  ".join(emulator.stderr_lines[-30:]))
        print(f"faults_live: {len(failures)} check(s) FAILED")
        return 1
    print("faults_live: all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
