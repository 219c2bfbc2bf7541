#!/usr/bin/python3
"""Runs every Perch benchmark and prints ONE markdown table (also written to --out).

Called by scripts/bench, which builds what this needs first:
  bench/run.py --bin build/bench/native/bin --wasm-dist build/bench/wasm/dist \
               --out build/bench/results.md [--seconds 8] [--quick]

Everything listens on and loads 127.0.0.1 only, every wait has a deadline,
and every process started here is stopped (SIGTERM, then SIGKILL) on the way out.
"""

import argparse
import datetime
import json
import os
import platform
import re
import resource
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import http.client
import urllib.error
import urllib.parse
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
CONSUMER_KEY = "perch-bench-key"
CONSUMER_SECRET = "perch-bench-secret-" + secrets.token_hex(8)
CLK_TCK = os.sysconf("SC_CLK_TCK")
LEVELS = (1, 16, 64)


# ------------------------------------------------------------------ helpers

def log(message):
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def process_cpu_seconds(pid):
    """utime + stime of a live process, in seconds."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def rss_kib(pid):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError(f"no VmRSS for {pid}")


def machine_busy_seconds():
    """All CPUs' non-idle time so far (from /proc/stat), in seconds."""
    with open("/proc/stat") as f:
        values = [int(v) for v in f.readline().split()[1:]]
    idle = values[3] + values[4]  # idle + iowait
    return (sum(values[:8]) - idle) / CLK_TCK


class Service:
    """A perch-emulator or perch-proxy child: started, waited for, always stopped."""

    def __init__(self, name, argv, ready_pattern, log_path, env=None):
        self.name = name
        self.log_file = open(log_path, "ab")
        # In this script's session, like wrk and nginx: with the kernel's
        # autogroup scheduling (sched_autogroup_enabled) a child in a session
        # of its own is given CPU as one group against all the others, which
        # held a two-core server such as perch-proxy to 20.6k start/s and 68 µs
        # CPU per start where the same binary does 28.2k and 53 µs
        # (bench/README.md); one-core passport was not held back at all.
        self.process = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=self.log_file, env=env)
        self.ready = None
        deadline = time.monotonic() + 15
        lines = []
        reader = threading.Thread(target=lambda: lines.append(self.process.stdout.readline()), daemon=True)
        reader.start()
        reader.join(timeout=max(0.0, deadline - time.monotonic()))
        line = lines[0].decode(errors="replace") if lines else ""
        match = re.search(ready_pattern, line)
        if not match:
            self.stop()
            raise RuntimeError(f"{name} did not start (see {log_path}); first line: {line!r}")
        self.ready = match
        # Keep draining stdout so the child never blocks on a full pipe.
        threading.Thread(target=self._drain, daemon=True).start()

    def _drain(self):
        for _ in self.process.stdout:
            pass

    @property
    def pid(self):
        return self.process.pid

    def cpu(self):
        return process_cpu_seconds(self.pid)

    def stop(self):
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log_file.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()


def start_emulator(bench, *flags):
    svc = Service("perch-emulator",
                  [os.path.join(bench.bin, "perch-emulator"), "--port", "0", "--consumer-key", CONSUMER_KEY,
                   "--consumer-secret", CONSUMER_SECRET, "--fast", *flags],
                  r"listening on (http://127\.0\.0\.1:(\d+))", os.path.join(bench.logs, "emulator.log"))
    svc.origin = svc.ready.group(1)
    return svc


def start_proxy(bench, emulator, *flags, token_key=None, public_origin=None):
    """`public_origin`: the site's origin when the proxy sits behind another
    server (several instances behind nginx share it, and `token_key`)."""
    for attempt in range(3):
        port = free_port()
        origin = public_origin or f"http://127.0.0.1:{port}"
        argv = [os.path.join(bench.bin, "perch-proxy"),
                "--listen", f"127.0.0.1:{port}",
                "--public-origin", origin,
                "--callback-url", f"{origin}/signup/callback",
                "--twitter-api", emulator.origin,
                "--web-root", bench.scratch,
                *flags]
        if "--database" not in flags:
            # A fresh file each start: each start has a fresh token key, and a
            # database refuses any key but the one it was made with.
            argv += ["--database", os.path.join(bench.scratch, f"perch-{port}-{secrets.token_hex(4)}.db")]
        # Secrets through the environment, as in production (not in ps output).
        env = dict(os.environ, PERCH_CONSUMER_KEY=CONSUMER_KEY, PERCH_CONSUMER_SECRET=CONSUMER_SECRET,
                   PERCH_TOKEN_KEY=token_key or secrets.token_hex(32))
        try:
            svc = Service("perch-proxy", argv, r"listening on (http://127\.0\.0\.1:\d+)",
                          os.path.join(bench.logs, "proxy.log"), env=env)
        except RuntimeError:
            if attempt == 2:
                raise
            continue  # the port was taken between probing and binding
        svc.origin = f"http://127.0.0.1:{port}"
        return svc
    raise RuntimeError("unreachable")


def post_start(origin, timeout=5):
    """One POST /api/twitter/start from a new browser; the HTTP status (0: no answer)."""
    request = urllib.request.Request(origin + "/api/twitter/start", data=b"{}", method="POST",
                                     headers={"Content-Type": "application/json", "Origin": origin})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status
    except urllib.error.HTTPError as error:
        return error.code
    except OSError:
        return 0


class Measured:
    """CPU used by the listed services, by this script's children (wrk, drivers)
    and by everything else on the machine, between start and stop."""

    def __init__(self, *services):
        self.services = services

    def __enter__(self):
        self.started = time.monotonic()
        self.busy0 = machine_busy_seconds()
        self.children0 = os.times()
        self.cpu0 = [s.cpu() for s in self.services]
        return self

    def __exit__(self, *exc):
        self.elapsed = time.monotonic() - self.started
        self.cpu = [s.cpu() - c for s, c in zip(self.services, self.cpu0)]
        children = os.times()
        self.children = (children.children_user - self.children0.children_user +
                         children.children_system - self.children0.children_system)
        others = machine_busy_seconds() - self.busy0 - sum(self.cpu) - self.children
        self.others_share = max(0.0, others) / (self.elapsed * os.cpu_count())


# ------------------------------------------------------------------ wrk

UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0}


def parse_wrk(text):
    def latency(percent):
        m = re.search(rf"^\s*{percent}%\s+([\d.]+)(us|ms|s)\s*$", text, re.M)
        return float(m.group(1)) * UNITS[m.group(2)] if m else None

    rps = re.search(r"Requests/sec:\s+([\d.]+)", text)
    total = re.search(r"(\d+) requests in", text)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    if not rps or not total:
        raise RuntimeError("cannot read wrk's output:\n" + text)
    return {
        "rps": float(rps.group(1)),
        "requests": int(total.group(1)),
        "p50_ms": latency(50),
        "p99_ms": latency(99),
        "non2xx": int(non2xx.group(1)) if non2xx else 0,
        "socket_errors": sum(int(v) for v in sock.groups()) if sock else 0,
    }


def run_wrk(bench, url, script, connections, env_extra):
    threads = min(2, connections)
    argv = ["wrk", f"-t{threads}", f"-c{connections}", f"-d{bench.seconds}s", "--timeout", "5s", "--latency",
            "-s", os.path.join(HERE, "wrk", script), url]
    done = subprocess.run(argv, capture_output=True, text=True, timeout=bench.seconds + 30,
                          env=dict(os.environ, **env_extra))
    if done.returncode != 0:
        raise RuntimeError(f"wrk failed: {done.stderr}")
    return parse_wrk(done.stdout)


def sign_request_token(emulator_origin, callback):
    """A request_token Authorization header signed by python3-oauthlib, an
    independent OAuth 1.0a implementation."""
    from oauthlib.oauth1 import Client
    client = Client(CONSUMER_KEY, client_secret=CONSUMER_SECRET, callback_uri=callback)
    _, headers, _ = client.sign(emulator_origin + "/oauth/request_token", http_method="POST")
    return headers["Authorization"]


# ------------------------------------------------------------------ sections

def bench_http(bench, rows):
    ceiling = {}
    log("1a. emulator alone (ceiling): wrk replaying one signed request_token")
    with start_emulator(bench, "--bench-replay-nonces") as emulator:
        authorization = sign_request_token(emulator.origin, "http://127.0.0.1/signup/callback")
        for c in LEVELS:
            with Measured(emulator) as m:
                r = run_wrk(bench, emulator.origin + "/oauth/request_token", "replay.lua", c,
                            {"PERCH_BENCH_AUTHORIZATION": authorization})
            ceiling[c] = r["rps"]
            rows.append(("1", "perch-emulator alone (ceiling): POST /oauth/request_token, wrk, one request replayed",
                         f"c={c}", f"{r['rps']:,.0f} req/s",
                         f"p50 {fmt_ms(r['p50_ms'])} · p99 {fmt_ms(r['p99_ms'])} · errors {r['non2xx']} non-2xx, "
                         f"{r['socket_errors']} socket · emulator {cpu_us(m.cpu[0], r['requests'])} CPU/req"
                         + busy_note(m)))

    log("1b. perch-proxy POST /api/twitter/start with wrk")
    with start_emulator(bench) as emulator:
        for c in LEVELS:
            with start_proxy(bench, emulator, *bench.proxy_flags) as proxy:
                with Measured(proxy, emulator) as m:
                    r = run_wrk(bench, proxy.origin + "/api/twitter/start", "start.lua", c,
                                {"PERCH_BENCH_ORIGIN": proxy.origin})
            ratio = r["rps"] / ceiling[c] if ceiling.get(c) else 0
            rows.append(("1", "perch-proxy POST /api/twitter/start (one signed request_token + a sealed flow cookie each), wrk",
                         f"c={c}", f"{r['rps']:,.0f} req/s = {ratio:.0%} of ceiling",
                         f"p50 {fmt_ms(r['p50_ms'])} · p99 {fmt_ms(r['p99_ms'])} · errors {r['non2xx']} non-2xx, "
                         f"{r['socket_errors']} socket · proxy {cpu_us(m.cpu[0], r['requests'])}, "
                         f"emulator {cpu_us(m.cpu[1], r['requests'])} CPU/req" + busy_note(m)))

        log("1c. idle kept-alive connections vs the worker pool")
        with start_proxy(bench, emulator, *bench.proxy_flags) as proxy:
            rows.append(idle_connections_row(proxy))

        log("1d. full sign-ins with perch-bench-flows")
        for c in LEVELS:
            with start_proxy(bench, emulator, *bench.proxy_flags) as proxy:
                with Measured(proxy, emulator) as m:
                    f = sign_ins(bench, proxy.origin, c)
            steps = " / ".join(f"{name} {fmt_ms(f['steps'][name]['p50_ms'])}"
                               for name in ("start", "authenticate", "exchange") if name in f["steps"])
            kinds = ", ".join(f"{k}: {v}" for k, v in f["error_kinds"].items())
            rows.append(("1", "full sign-in: start → authenticate (auto-approved) → exchange (access_token + "
                              "verify_credentials), perch-bench-flows, a new browser each",
                         f"c={c}", f"{f['per_second']:,.0f} sign-ins/s",
                         f"p50 {fmt_ms(f['latency']['p50_ms'])} · p99 {fmt_ms(f['latency']['p99_ms'])} · "
                         f"errors {f['errors']}{' (' + kinds + ')' if kinds else ''} · step p50s {steps} · "
                         f"proxy {cpu_us(m.cpu[0], f['completed'])}, emulator {cpu_us(m.cpu[1], f['completed'])} "
                         f"CPU/sign-in" + busy_note(m)))

        log("1e. GET /api/auth (the reverse proxy's auth subrequest) next to GET /healthz")
        with start_proxy(bench, emulator, *bench.proxy_flags) as proxy:
            cookie = signed_in_cookie(proxy.origin)
            for c in LEVELS:
                rows.append(gets_row(bench, proxy, "/healthz", c, "", "liveness, no session"))
                rows.append(gets_row(bench, proxy, "/api/auth", c, cookie,
                                     "a signed-in session: session + account lookup, 204 with the identity headers"))


def signed_in_cookie(origin):
    """Sign up once through start → the emulator's consent (auto-approved) →
    exchange → register, as a browser would; the session cookie it ends with."""
    def call(method, url, body=None, cookie=None):
        headers = {"Origin": origin}
        if body is not None:
            headers["Content-Type"] = "application/json"
        if cookie:
            headers["Cookie"] = cookie
        parts = urllib.parse.urlsplit(url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            connection.request(method, parts.path + ("?" + parts.query if parts.query else ""),
                                body=None if body is None else json.dumps(body), headers=headers)
            response = connection.getresponse()
            return response.status, response.getheaders(), response.read()
        finally:
            connection.close()

    def cookie_of(headers, prefix):
        for name, value in headers:
            if name.lower() == "set-cookie" and value.startswith(prefix):
                return value.split(";", 1)[0]
        raise RuntimeError(f"no {prefix} cookie")

    status, headers, body = call("POST", origin + "/api/twitter/start", {})
    if status != 200:
        raise RuntimeError(f"start answered {status}")
    flow = cookie_of(headers, "perch_flow_")
    status, headers, _ = call("GET", json.loads(body)["authorize_url"])
    location = dict((n.lower(), v) for n, v in headers).get("location", "")
    if status != 302 or "?" not in location:
        raise RuntimeError(f"consent answered {status}")
    status, headers, _ = call("POST", origin + "/api/twitter/exchange",
                              {"callback_query": location[location.index("?"):]}, flow)
    if status != 200:
        raise RuntimeError(f"exchange answered {status}")
    session = cookie_of(headers, "perch_session=")
    form = {"username": "bench_reader", "first_name": "Bench", "last_name": "Reader",
            "email": "bench@example.com", "timezone": "Europe/Berlin"}
    status, headers, _ = call("POST", origin + "/api/register", form, session)
    if status != 201:
        raise RuntimeError(f"register answered {status}")
    return cookie_of(headers, "perch_session=")


def gets_row(bench, proxy, path, c, cookie, what):
    with Measured(proxy) as m:
        r = run_wrk(bench, proxy.origin + path, "get.lua", c, {"PERCH_BENCH_COOKIE": cookie})
    return ("1", f"perch-proxy GET {path} ({what}), wrk", f"c={c}", f"{r['rps']:,.0f} req/s",
            f"p50 {fmt_ms(r['p50_ms'])} · p99 {fmt_ms(r['p99_ms'])} · {r['non2xx']} non-2xx, "
            f"{r['socket_errors']} socket errors · proxy {cpu_us(m.cpu[0], r['requests'])} CPU/req" + busy_note(m))


def idle_connections_row(proxy, idle_count=1000):
    """Connections between requests wait without a worker (lib/net/idle_sockets.h):
    open many more idle kept-alive ones than the proxy has workers (64 by
    default), then time one more client."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < idle_count + 100:  # this script's own sockets
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, idle_count + 100), hard))
    port = int(proxy.origin.rsplit(":", 1)[1])
    request = f"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n".encode()
    idle = []
    try:
        for _ in range(idle_count):
            s = socket.create_connection(("127.0.0.1", port), timeout=10)
            s.sendall(request)
            if not s.recv(4096).startswith(b"HTTP/1.1 200"):
                raise RuntimeError("GET /healthz failed")
            idle.append(s)  # kept alive and idle, like a browser between requests
        started = time.monotonic()
        with socket.create_connection(("127.0.0.1", port), timeout=15) as s:
            s.sendall(request)
            answered = s.recv(64).startswith(b"HTTP/1.1 200")
        waited = time.monotonic() - started
    finally:
        for s in idle:
            s.close()
    return ("1", "perch-proxy: one more client while idle kept-alive connections are open (they wait without "
                 "a worker)",
            f"{idle_count} idle connections, shipped --threads 64",
            f"answered after {fmt_ms(waited * 1000)}" + ("" if answered else " (no 200)"),
            "keep-alive timeout 5 s; a browser keeps up to 6 connections per site open")


def sign_ins(bench, origin, concurrency, stack="perch"):
    done = subprocess.run([os.path.join(bench.bin, "perch-bench-flows"), "flows", "--proxy", origin, "--stack", stack,
                           "--concurrency", str(concurrency), "--seconds", str(bench.seconds)],
                          capture_output=True, text=True, timeout=bench.seconds + 60)
    if done.returncode != 0:
        raise RuntimeError("perch-bench-flows failed: " + done.stderr)
    return json.loads(done.stdout)


def bench_anchor(bench, rows):
    sys.path.insert(0, HERE)
    import anchor_section
    anchor_section.bench_anchor(bench, rows, sys.modules[__name__])


def bench_shared_stores(bench, rows):
    sys.path.insert(0, HERE)
    from shared_stores import Postgres, Redis, nginx_round_robin
    c = 16
    log("6. Redis + PostgreSQL, one and two instances, next to memory + SQLite")
    redis = Redis(bench.scratch, free_port())
    postgres = Postgres(bench.scratch, free_port())
    try:
        with start_emulator(bench) as emulator:
            shared = ["--session-store", redis.url, "--database", postgres.url]
            key = secrets.token_hex(32)  # the database keeps the key it was first opened with
            for label, flags, count in (("memory + SQLite, 1 instance", [], 1),
                                        ("Redis + PostgreSQL, 1 instance", shared, 1),
                                        ("Redis + PostgreSQL, 2 instances behind nginx (round robin)", shared, 2)):
                front_port = free_port()
                front = f"http://127.0.0.1:{front_port}" if count > 1 else None
                proxies = [start_proxy(bench, emulator, *bench.proxy_flags, *flags, token_key=key, public_origin=front)
                           for _ in range(count)]
                nginx = None
                try:
                    if count > 1:
                        nginx = nginx_round_robin(bench.scratch, front_port, [p.origin[len("http://"):] for p in proxies])
                        deadline = time.monotonic() + 10
                        while post_start(front) != 200:
                            if time.monotonic() > deadline:
                                raise RuntimeError("nginx did not serve")
                            time.sleep(0.05)
                    origin = front or proxies[0].origin
                    with Measured(*proxies) as m:
                        r = run_wrk(bench, origin + "/api/twitter/start", "start.lua", c, {"PERCH_BENCH_ORIGIN": origin})
                    rows.append(("6", f"POST /api/twitter/start, wrk — {label}", f"c={c}", f"{r['rps']:,.0f} req/s",
                                 f"p50 {fmt_ms(r['p50_ms'])} · p99 {fmt_ms(r['p99_ms'])} · errors {r['non2xx']} non-2xx · "
                                 f"proxies {cpu_us(sum(m.cpu), r['requests'])} CPU/req" + busy_note(m)))
                    calls0 = redis.calls()
                    with Measured(*proxies) as m:
                        f = sign_ins(bench, origin, c)
                    trips = (redis.calls() - calls0) / max(f["completed"], 1)
                    rows.append(("6", f"full sign-ins, perch-bench-flows — {label}", f"c={c}",
                                 f"{f['per_second']:,.0f} sign-ins/s",
                                 f"p50 {fmt_ms(f['latency']['p50_ms'])} · p99 {fmt_ms(f['latency']['p99_ms'])} · "
                                 f"errors {f['errors']} · "
                                 + (f"{trips:.1f} Redis commands/sign-in · " if flags else "")
                                 + f"proxies {cpu_us(sum(m.cpu), f['completed'])} CPU/sign-in" + busy_note(m)))
                finally:
                    if nginx:
                        nginx.terminate()
                        nginx.wait(timeout=10)
                    for proxy in proxies:
                        proxy.stop()
    finally:
        redis.stop()
        postgres.stop()


def bench_memory(bench, rows):
    count = bench.memory_flows
    first = count // 10
    log(f"2a. memory: {first:,} then {count:,} sign-ins in progress")
    with start_emulator(bench) as emulator, \
            start_proxy(bench, emulator, "--start-per-minute", "0", "--exchange-per-minute", "0",
                        "--max-connections-per-client", "0") as proxy:
        time.sleep(1)
        idle = rss_kib(proxy.pid)
        fill(bench, proxy, first)
        at_first = rss_kib(proxy.pid)
        fill(bench, proxy, count - first)
        at_full = rss_kib(proxy.pid)
        next_start = post_start(proxy.origin)

    rows.append(("2", "perch-proxy resident memory (VmRSS)", "idle", f"{idle / 1024:.1f} MiB", ""))
    rows.append(("2", "perch-proxy resident memory (VmRSS)", f"{first:,} sign-ins in progress",
                 f"{at_first / 1024:.1f} MiB", f"{(at_first - idle) / 1024:+.1f} MiB: the workers' buffers and "
                 "allocator arenas warming up under load"))
    rows.append(("2", "perch-proxy resident memory (VmRSS)", f"{count:,} sign-ins in progress",
                 f"{at_full / 1024:.1f} MiB", f"{(at_full - at_first) * 1024 / (count - first):+,.0f} B per flow "
                 f"over the last {count - first:,}: a start keeps nothing on the server (the browser holds the "
                 f"sealed flow); the next start answered {next_start}"))

    log(f"2b. memory: the consumed-flow record and the rate limiter's tables at {count:,} entries")
    done = subprocess.run([os.path.join(bench.bin, "perch_bench_memory"), str(count)],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError("perch_bench_memory failed: " + done.stderr)
    m = json.loads(done.stdout)
    consumed = m["consumed_flows"]
    rows.append(("2", "consumed-flow record (one per exchange that reached the provider, kept until the flow "
                      "expires; PERCH_MAX_PENDING_FLOWS)", f"{count:,} records",
                 f"{consumed['heap_bytes'] / 1048576:.1f} MiB", f"{consumed['bytes_per_entry']:.0f} B per record · "
                 f"{fmt_ns(consumed['ns_per_operation'])} per consume (heap bytes, mallinfo2)"))
    limiter = m["rate_limiter_address_and_prefix"]
    rows.append(("2", "rate limiter (one route): address + prefix buckets", f"{count:,} of each",
                 f"{limiter['heap_bytes'] / 1048576:.1f} MiB", f"{limiter['bytes_per_entry'] / 2:.0f} B per bucket · "
                 f"{fmt_ns(limiter['ns_per_operation'])} per take (heap bytes, mallinfo2)"))

    log("2c. the flood: tests/security/flood.test.mjs with the shipped defaults")
    with tempfile.NamedTemporaryFile(suffix=".json") as report:
        done = subprocess.run(["node", "--test", os.path.join(ROOT, "tests/security/flood.test.mjs")],
                              capture_output=True, text=True, timeout=600, cwd=ROOT,
                              env=dict(os.environ, PERCH_BIN_DIR=bench.bin, PERCH_FLOOD_REPORT=report.name))
        if done.returncode != 0:
            raise RuntimeError("the flood test failed:\n" + done.stdout[-4000:])
        f = json.load(open(report.name))
    rows.append(("2", "flood of POST /api/twitter/start, shipped defaults (PERCH_TRUST_FORWARDED_FOR=1), "
                      "tests/security/flood.test.mjs",
                 f"{f['starts']:,} starts from {f['addresses']:,} addresses in {f['networks']} /24s, "
                 "64 keep-alive connections",
                 f"{f['startsPerSecond']:,.0f} starts/s; {f['refused']:,} refused (429), {f['answered']:,} answered",
                 f"provider request_token calls {f['providerCalls']:,} (= answered) · RSS {f['rssBeforeKiB'] / 1024:.1f} → "
                 f"peak {f['rssPeakKiB'] / 1024:.1f} MiB · a person from another network signed up (start → consent → "
                 f"exchange → register → me) in {fmt_ms(f['duringMs'])} during the flood, {fmt_ms(f['afterMs'])} after"))


def fill(bench, proxy, count):
    done = subprocess.run([os.path.join(bench.bin, "perch-bench-flows"), "fill", "--proxy", proxy.origin,
                           "--count", str(count), "--concurrency", "16"],
                          capture_output=True, text=True, timeout=600)
    if done.returncode != 0:
        raise RuntimeError("perch-bench-flows fill failed: " + done.stderr)
    result = json.loads(done.stdout)
    if result["errors"]:
        raise RuntimeError(f"filling: {result['errors']} errors: {result['error_kinds']}")
    log(f"   filled {count:,} at {result['per_second']:,.0f}/s, RSS {rss_kib(proxy.pid) / 1024:.1f} MiB")


def google_benchmark(argv, timeout, repetitions):
    """{name: {"real_time": ns, "cpu_time": ns}} per operation: the median of
    `repetitions` runs, which shrugs off a run slowed by other processes.
    real_time is wall time; cpu_time is the thread's CPU time, unaffected by
    waiting for a CPU that other processes hold but blind to waiting on a disk."""
    done = subprocess.run(argv + ["--benchmark_format=json", f"--benchmark_repetitions={repetitions}",
                                  "--benchmark_report_aggregates_only=true"],
                          capture_output=True, text=True, timeout=timeout)
    if done.returncode != 0:
        raise RuntimeError(f"{argv[0]} failed: {done.stderr}")
    for line in done.stderr.splitlines():
        if "filled" in line:
            log("   " + line)
    results = {}
    for b in json.loads(done.stdout)["benchmarks"]:
        if b.get("error_occurred"):
            raise RuntimeError(f"{b['name']}: {b.get('error_message')}")
        if b.get("run_type") == "aggregate" and b.get("aggregate_name") != "median":
            continue
        factor = {"ns": 1, "us": 1e3, "ms": 1e6, "s": 1e9}[b["time_unit"]]
        results[b.get("run_name", b["name"])] = {"real_time": b["real_time"] * factor,
                                                 "cpu_time": b["cpu_time"] * factor}
    return results


def bench_accounts(bench, rows):
    log("3. account store (Google Benchmark; the first run fills the 10^6 database, ~1 min)")
    argv = [os.path.join(bench.bin, "perch_bench_accounts"), "--data-dir", bench.data,
            f"--benchmark_min_time={bench.min_time}"]
    # One process runs everything (the databases are filled and copied once);
    # lookups are read in CPU time, writes in wall time (they wait for fsync).
    r = google_benchmark(argv, timeout=900, repetitions=3)
    labels = [
        ("find_by_twitter_id", "sign-in lookup: find_by_twitter_id (existing, random order)", "cpu_time"),
        ("find_missing_twitter_id", "new-user check: find_by_twitter_id (no such account)", "cpu_time"),
        ("find_by_id", "/api/me: find_by_id (random order)", "cpu_time"),
        ("register_account/full_fsync", "registration: register_account, synchronous=FULL (shipped)", "real_time"),
        ("register_account/normal", "registration: register_account, synchronous=NORMAL", "real_time"),
        ("refresh_tokens_and_sign_in/full_fsync", "returning user's sign-in write: refresh_tokens_and_sign_in",
         "real_time"),
    ]
    for key, label, clock in labels:
        small, large = r[f"{key}/100000"][clock], r[f"{key}/1000000"][clock]
        rows.append(("3", "account store (SQLite, WAL): " + label, "10^5 → 10^6 accounts",
                     f"{fmt_ns(small)} → {fmt_ns(large)} per op",
                     f"×{large / small:.2f} for 10× the accounts ({'CPU' if clock == 'cpu_time' else 'wall'} time, "
                     "median of 3 runs)"))


def bench_browser(bench, rows):
    log("4. the browser side: perch.mjs in headless Chromium, and the same calls natively")
    native = google_benchmark([os.path.join(bench.bin, "perch_bench_core"), f"--benchmark_min_time={bench.min_time}",
                               os.path.join(HERE, "core_inputs.json")], timeout=300, repetitions=5)
    done = subprocess.run(["node", os.path.join(HERE, "browser", "run.mjs"), "--dist", bench.wasm_dist,
                           "--pages", "5" if bench.quick else "9"],
                          capture_output=True, text=True, timeout=300, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError("browser benchmark failed: " + done.stderr)
    b = json.loads(done.stdout)
    rows.append(("4", "perch.mjs (single file, wasm embedded)", "size", f"{b['size']['raw']:,} B raw · "
                 f"{b['size']['gzip']:,} B gzip -9", os.path.relpath(os.path.join(b["dist"], "perch.mjs"), ROOT)))
    rows.append(("4", f"perch.mjs in headless Chromium {b['chromium']}", f"fresh page, median of {b['pages']}",
                 f"createPerch() {b['createMs']:.1f} ms", f"import of perch.mjs {b['importMs']:.1f} ms "
                 "(fetch from 127.0.0.1 + parse)"))
    pairs = [("verifyCallback", "verify_callback_alone"), ("mapProfile", "map_profile_alone"),
             ("prefill", "prefill_alone"), ("validateRegistration", "validate_registration_alone"),
             ("sequence", "callback_page_sequence")]
    for js, cpp in pairs:
        wasm_ns = b["callsUs"][js] * 1000
        native_ns = native[cpp]["real_time"]
        name = ("verifyCallback + mapProfile + prefill + validateRegistration (the callback page)"
                if js == "sequence" else js)
        rows.append(("4", f"core call: {name}", "Chromium (wasm) / native, median",
                     f"{fmt_ns(wasm_ns)} / {fmt_ns(native_ns)}",
                     f"wasm/native ×{wasm_ns / native_ns:.1f} (Chromium: median of 31 batches; native: "
                     "Google Benchmark, median of 5 runs)"))


def bench_page(bench, rows):
    log("5. the sign-up page in headless Chromium: bytes, and callback -> pre-filled form")
    done = subprocess.run(["node", os.path.join(HERE, "browser", "callback.mjs"), "--site", bench.site,
                           "--bin", bench.bin, "--runs", "5" if bench.quick else "15"],
                          capture_output=True, text=True, timeout=600, cwd=ROOT)
    if done.returncode != 0:
        raise RuntimeError("page benchmark failed: " + done.stderr)
    p = json.loads(done.stdout)
    biggest = sorted(p["bytes"]["files"], key=lambda f: -f["gzip"])[:2]
    rows.append(("5", "bytes a fresh browser downloads for / plus the callback page", "gzip -9 of each body",
                 f"{p['bytes']['total']['gzip']:,} B gzip · {p['bytes']['total']['raw']:,} B raw",
                 ", ".join(f"{f['path']} {f['gzip']:,} B" for f in biggest) + " · goal ≤ 60,000 B"))
    rows.append(("5", "callback navigation → pre-filled form", f"median of {p['runs']}, fresh context each",
                 f"{fmt_ms(p['callbackMs'])} · ×{p['ratio']:.2f} the baseline",
                 f"quartiles {p['callbackQuartilesMs'][0]}–{p['callbackQuartilesMs'][1]} ms; "
                 f"baseline: a same-origin page making one fetch, {fmt_ms(p['baselineMs'])} "
                 f"(quartiles {p['baselineQuartilesMs'][0]}–{p['baselineQuartilesMs'][1]} ms); from requestStart, "
                 f"each begun once the machine was ≤ 15 % busy over 200 ms (not within 5 s: {p['notQuiet']}); "
                 f"load average {p['load']} · goal ≤ ×1.5"))


# ------------------------------------------------------------------ formatting

def fmt_ms(ms):
    if ms is None:
        return "n/a"
    if ms >= 1000:
        return f"{ms / 1000:.2f} s"
    return f"{ms * 1000:.0f} µs" if ms < 1 else f"{ms:.1f} ms"


def fmt_ns(ns):
    if ns >= 1e6:
        return f"{ns / 1e6:.2f} ms"
    if ns >= 1e3:
        return f"{ns / 1e3:.1f} µs"
    return f"{ns:.0f} ns"


def cpu_us(seconds, operations):
    return f"{seconds * 1e6 / operations:.0f} µs" if operations else "n/a"


def busy_note(measured):
    # Other processes competing for the two cores make a run slower; say so.
    share = measured.others_share
    return f" · ⚠ other processes used {share:.0%} of the CPUs" if share >= 0.10 else ""


def machine_line():
    cpu = platform.processor() or "unknown CPU"
    with open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    with open("/proc/meminfo") as f:
        mem_kib = int(f.readline().split()[1])
    load = open("/proc/loadavg").read().split()[:3]
    return (f"{datetime.datetime.now(datetime.timezone.utc):%Y-%m-%d %H:%M} UTC · {os.cpu_count()} CPUs "
            f"(nproc), {cpu} · {mem_kib / 1048576:.1f} GiB RAM · Linux {platform.release()} · "
            f"load average at start {' '.join(load)}")


def table(rows, header_note):
    lines = [header_note, "",
             "| # | Benchmark | Setting | Result | Details |",
             "| --- | --- | --- | --- | --- |"]
    for row in rows:
        lines.append("| " + " | ".join(cell.replace("|", "\\|") for cell in row) + " |")
    return "\n".join(lines) + "\n"


# ------------------------------------------------------------------ main

def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--bin", default=os.path.join(ROOT, "build/bench/native/bin"))
    parser.add_argument("--wasm-dist", default=os.path.join(ROOT, "build/bench/wasm/dist"))
    parser.add_argument("--out", default=os.path.join(ROOT, "build/bench/results.md"))
    parser.add_argument("--seconds", type=int, default=8, help="length of each load run")
    parser.add_argument("--quick", action="store_true", help="short runs (3 s, 20,000 flows) to try the script")
    parser.add_argument("--site", default=os.path.join(ROOT, "build/bench/site"))
    parser.add_argument("--only", default="1234567", help="sections to run, e.g. 14")
    parser.add_argument("--proxy-flag", action="append", default=[],
                        help="extra perch-proxy flag for section 1 (repeatable), e.g. --proxy-flag=--threads=64")
    args = parser.parse_args()

    bench = argparse.Namespace(
        bin=os.path.abspath(args.bin), wasm_dist=os.path.abspath(args.wasm_dist), quick=args.quick,
        site=os.path.abspath(args.site),
        seconds=3 if args.quick else args.seconds,
        memory_flows=20000 if args.quick else 100000,
        min_time=0.1 if args.quick else 0.3,
        anchor_rounds=1 if args.quick else 2,
        proxy_flags=["--max-sessions", "10000000", "--max-pending-flows", "10000000",
                     # one load generator is one client address: per-client limits off
                     "--start-per-minute", "0", "--exchange-per-minute", "0",
                     "--max-connections-per-client", "0",
                     # its connections kept alive like Node's (no cap) and nginx's (1000), not closed every 5th request
                     "--keep-alive-requests", "1000"] + args.proxy_flag)
    out_dir = os.path.dirname(os.path.abspath(args.out))
    bench.logs = os.path.join(out_dir, "logs")
    bench.data = os.path.join(out_dir, "data")
    os.makedirs(bench.logs, exist_ok=True)
    os.makedirs(bench.data, exist_ok=True)
    for name in ("proxy.log", "emulator.log"):
        open(os.path.join(bench.logs, name), "w").close()

    header = "Perch benchmarks — " + machine_line()
    rows = []
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="perch-bench-") as scratch:
        bench.scratch = scratch
        sections = {"1": bench_http, "2": bench_memory, "3": bench_accounts, "4": bench_browser,
                    "5": bench_page, "6": bench_shared_stores, "7": bench_anchor}
        for key in args.only:
            sections[key](bench, rows)
    load = " ".join(open("/proc/loadavg").read().split()[:3])
    note = (f"\n{len(rows)} rows in {time.monotonic() - started:.0f} s; load average at the end {load}. "
            "c = concurrent connections (wrk) or workers (perch-bench-flows). CPU/req = CPU time of that "
            "process divided by the requests served. ⚠ marks runs during which other processes used ≥ 10 % "
            "of the CPUs. Everything runs on this one machine over 127.0.0.1, load generator included.\n")
    text = table(rows, header) + note
    with open(args.out, "w") as f:
        f.write(text)
    print(text)


if __name__ == "__main__":
    main()
