"""Check bookkeeping for the live Python tests: "ok"/"FAIL" lines and a failure list."""

failures = []


def check(condition, what):
    print(("  ok   " if condition else "  FAIL ") + what)
    if not condition:
        failures.append(what)


def refused_with(error_class, call):
    """True when `call` raises `error_class` (e.g. oauthlib's parse of an OAuth error answer)."""
    try:
        call()
    except error_class:
        return True
    except Exception as error:  # noqa: BLE001 - report what came instead
        print(f"       got {type(error).__name__}: {error}")
    return False
