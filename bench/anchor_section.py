"""Section 7 of bench/run.py: perch-proxy against the usual stack, bench/anchor
(passport-twitter + Express + express-session), in ONE run, both in front of
ONE local nginx that answers like X (fixed request_token, access_token and
verify_credentials answers), so that the two stacks and not the provider are
measured. The load generators (wrk, perch-bench-flows) are the same for both.
"""

import os
import secrets
import subprocess
import time

from shared_stores import start_nginx  # bench/ is on sys.path (run.py puts it there)

HERE = os.path.dirname(os.path.abspath(__file__))

# Shaped after a v1.1 verify_credentials answer (a returning user, no status).
PROFILE = ('{"id":1452019283001737216,"id_str":"1452019283001737216","name":"Zoe Bench",'
           '"screen_name":"zoe_perch","location":"Tromso","description":"bench","url":null,'
           '"protected":false,"followers_count":42,"friends_count":7,"created_at":'
           '"Sun Oct 24 07:12:45 +0000 2021","verified":false,"statuses_count":1,'
           '"profile_image_url_https":"https://pbs.twimg.com/profile_images/1/a_normal.png",'
           '"email":"zoe@example.com"}')


def nginx_provider(scratch, port):
    """nginx answering like X. $request_id (32 random hex digits) makes every
    request token and access token different, as X's are: Perch refuses a flow
    whose token it has already exchanged."""
    return start_nginx(os.path.join(scratch, f"provider-{port}"), 1, f"""  keepalive_requests 100000;
  server {{
    listen 127.0.0.1:{port};
    location = /oauth/request_token {{
      default_type application/x-www-form-urlencoded;
      return 200 "oauth_token=rt$request_id&oauth_token_secret=rts$request_id&oauth_callback_confirmed=true";
    }}
    location = /oauth/authenticate {{
      return 302 "http://127.0.0.1/callback?oauth_token=$arg_oauth_token&oauth_verifier=v$request_id";
    }}
    location = /oauth/access_token {{
      default_type application/x-www-form-urlencoded;
      return 200 "oauth_token=1452019283001737216-at$request_id&oauth_token_secret=ats$request_id&user_id=1452019283001737216&screen_name=zoe_perch";
    }}
    location = /1.1/account/verify_credentials.json {{
      default_type application/json;
      return 200 '{PROFILE}';
    }}
  }}""")


def wait_answers(url, deadline_s=10):
    import urllib.request
    deadline = time.monotonic() + deadline_s
    while True:
        try:
            with urllib.request.urlopen(urllib.request.Request(url, method="POST", data=b""), timeout=2) as r:
                if r.status == 200:
                    return
        except OSError:
            pass
        if time.monotonic() > deadline:
            raise RuntimeError(f"{url} did not answer")
        time.sleep(0.05)


def load_average():
    return " ".join(open("/proc/loadavg").read().split()[:3])


def library_floor_kib(binary):
    """VmRSS of `sleep` alone, and of `sleep` with every shared library
    `binary` loads (ldd) preloaded: what those libraries cost resident before
    a line of the program runs, a floor under the program's idle RSS.
    Each is read once the process sleeps (clock_nanosleep, x86-64 syscall 230,
    in /proc/PID/syscall), i.e. after the dynamic linker has finished."""
    listed = subprocess.run(["ldd", binary], capture_output=True, text=True, check=True).stdout
    libraries = [fields[2] for fields in (line.split() for line in listed.splitlines())
                 if len(fields) >= 3 and fields[1] == "=>" and fields[2].startswith("/")]

    def sleeping_rss(env):
        proc = subprocess.Popen(["sleep", "60"], env=env)
        try:
            deadline = time.monotonic() + 10
            while True:
                if proc.poll() is not None:
                    raise RuntimeError(f"sleep exited ({proc.returncode}) before it slept")
                with open(f"/proc/{proc.pid}/syscall") as f:
                    if f.read().split()[:1] == ["230"]:
                        break
                if time.monotonic() > deadline:
                    raise RuntimeError("sleep did not reach clock_nanosleep")
                time.sleep(0.01)
            with open(f"/proc/{proc.pid}/status") as f:
                return next(int(line.split()[1]) for line in f if line.startswith("VmRSS:"))
        finally:
            proc.kill()
            proc.wait(timeout=10)

    bare = sleeping_rss(dict(os.environ))
    loaded = sleeping_rss(dict(os.environ, LD_PRELOAD=":".join(libraries)))
    return bare, loaded, len(libraries)


def bench_anchor(bench, rows, run):
    """`run`: bench/run.py itself (its Service, start_proxy, run_wrk, sign_ins, rss_kib, ...).

    passport runs on one core (Node's event loop), perch-proxy on both: when
    other processes load the machine the single-threaded stack loses more,
    so each row gives the load average, and CPU time per request (which
    depends far less on that) for both."""
    c = 16
    anchor_dir = os.path.join(HERE, "anchor")
    if not os.path.isdir(os.path.join(anchor_dir, "node_modules", "passport-twitter")):
        raise RuntimeError("bench/anchor/node_modules is missing: scripts/bench installs it (npm ci)")
    port = run.free_port()
    nginx = nginx_provider(bench.scratch, port)
    provider = run.argparse.Namespace(origin=f"http://127.0.0.1:{port}")
    try:
        wait_answers(provider.origin + "/oauth/request_token")
        env = dict(os.environ, ANCHOR_PROVIDER=provider.origin, ANCHOR_CONSUMER_KEY=run.CONSUMER_KEY,
                   ANCHOR_CONSUMER_SECRET=run.CONSUMER_SECRET, ANCHOR_SESSION_SECRET=secrets.token_hex(32),
                   NODE_ENV="production")
        with run.start_proxy(bench, provider, *bench.proxy_flags) as perch, \
                run.Service("anchor", ["node", os.path.join(anchor_dir, "app.js")],
                            r"listening on (http://127\.0\.0\.1:\d+)",
                            os.path.join(bench.logs, "anchor.log"), env=env) as anchor:
            anchor.origin = anchor.ready.group(1)
            time.sleep(1)
            idle = {"perch": run.rss_kib(perch.pid), "passport": run.rss_kib(anchor.pid)}
            idle_load = load_average()
            floor = library_floor_kib(os.path.join(bench.bin, "perch-proxy"))
            run.log(f"7. perch-proxy vs passport-twitter, start (wrk, c={c}), load {idle_load}")
            start = {}
            for rnd in range(bench.anchor_rounds):
                # Alternate which goes first, so a burst of other load hurts both alike.
                order = (("perch", perch), ("passport", anchor))
                for name, svc in (order if rnd % 2 == 0 else order[::-1]):
                    script = "start.lua" if name == "perch" else "passport_start.lua"
                    path = "/api/twitter/start" if name == "perch" else "/auth/twitter"
                    with run.Measured(svc) as m:
                        r = run.run_wrk(bench, svc.origin + path, script, c, {"PERCH_BENCH_ORIGIN": svc.origin})
                    r["cpu_us"] = m.cpu[0] * 1e6 / max(r["requests"], 1)
                    r["load"] = load_average()
                    r["busy"] = run.busy_note(m)
                    start.setdefault(name, []).append(r)
            run.log(f"7. full sign-ins (perch-bench-flows, c={c})")
            flows = {}
            for rnd in range(bench.anchor_rounds):
                order = (("perch", perch), ("passport", anchor))
                for name, svc in (order if rnd % 2 == 0 else order[::-1]):
                    with run.Measured(svc) as m:
                        f = run.sign_ins(bench, svc.origin, c, stack=name)
                    f["cpu_us"] = m.cpu[0] * 1e6 / max(f["completed"], 1)
                    f["load"] = load_average()
                    f["busy"] = run.busy_note(m)
                    flows.setdefault(name, []).append(f)
            after = {"perch": run.rss_kib(perch.pid), "passport": run.rss_kib(anchor.pid)}
    finally:
        nginx.terminate()
        nginx.wait(timeout=10)

    def best(runs, key):
        return max(runs, key=lambda r: r[key])

    rounds = f"best of {bench.anchor_rounds} alternating runs"
    ps, as_ = best(start["perch"], "rps"), best(start["passport"], "rps")
    ratio = ps["rps"] / as_["rps"]
    rows.append(("7", "POST /api/twitter/start (perch-proxy) vs GET /auth/twitter (passport-twitter + Express + "
                      "express-session), wrk, the same nginx as X", f"c={c}, {rounds}",
                 f"{ps['rps']:,.0f} vs {as_['rps']:,.0f} req/s = ×{ratio:.1f} (goal ≥ ×10: "
                 f"{'met' if ratio >= 10 else 'not met'})",
                 f"errors {ps['non2xx'] + ps['socket_errors']} / {as_['non2xx'] + as_['socket_errors']} · CPU/req "
                 f"{ps['cpu_us']:.0f} µs vs {as_['cpu_us']:.0f} µs · every run: perch "
                 + ", ".join(f"{r['rps']:,.0f}" for r in start["perch"]) + "; passport "
                 + ", ".join(f"{r['rps']:,.0f}" for r in start["passport"]) + f" · load average {ps['load']}"
                 + ps["busy"]))
    rows.append(("7", "start p99 (the same runs)", f"c={c}",
                 f"{run.fmt_ms(ps['p99_ms'])} vs {run.fmt_ms(as_['p99_ms'])} (goal ≤ 5 ms: "
                 f"{'met' if ps['p99_ms'] is not None and ps['p99_ms'] <= 5 else 'not met'})",
                 f"p50 {run.fmt_ms(ps['p50_ms'])} vs {run.fmt_ms(as_['p50_ms'])}"))
    pf, af = best(flows["perch"], "per_second"), best(flows["passport"], "per_second")
    ratio = pf["per_second"] / af["per_second"] if af["per_second"] else 0
    rows.append(("7", "full sign-ins, perch-bench-flows (start → nginx authenticate → exchange / callback: "
                      "access_token + verify_credentials + session)", f"c={c}, {rounds}",
                 f"{pf['per_second']:,.0f} vs {af['per_second']:,.0f} sign-ins/s = ×{ratio:.1f} (goal ≥ ×5: "
                 f"{'met' if ratio >= 5 else 'not met'})",
                 f"errors {pf['errors']} / {af['errors']} · p99 {run.fmt_ms(pf['latency']['p99_ms'])} vs "
                 f"{run.fmt_ms(af['latency']['p99_ms'])} · CPU/sign-in {pf['cpu_us']:.0f} µs vs {af['cpu_us']:.0f} µs"
                 " · every run: perch " + ", ".join(f"{r['per_second']:,.0f}" for r in flows["perch"])
                 + "; passport " + ", ".join(f"{r['per_second']:,.0f}" for r in flows["passport"])
                 + f" · load average {pf['load']}" + pf["busy"]))
    rows.append(("7", "resident memory (VmRSS), idle, shipped defaults but rate limits and connection caps off",
                 "1 s after start", f"{idle['perch'] / 1024:.1f} vs {idle['passport'] / 1024:.1f} MiB = "
                 f"×{idle['passport'] / idle['perch']:.1f} less (goal ≤ 6 MiB: "
                 f"{'met' if idle['perch'] <= 6 * 1024 else 'not met'})",
                 f"floor: `sleep` with perch-proxy's {floor[2]} shared libraries preloaded "
                 f"{floor[1] / 1024:.1f} MiB (`sleep` alone {floor[0] / 1024:.1f}) · load average {idle_load}"))
    rows.append(("7", "resident memory (VmRSS) after the load above", "after all runs",
                 f"{after['perch'] / 1024:.1f} vs {after['passport'] / 1024:.1f} MiB",
                 "both keep a session per sign-in: perch-proxy up to --max-sessions (raised for this benchmark; "
                 "a start keeps nothing), passport's MemoryStore every session ever started, also for a start "
                 "(no cap)"))
