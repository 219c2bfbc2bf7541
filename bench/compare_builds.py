#!/usr/bin/python3
"""Two perch-proxy builds, alternating in one run, in front of section 7's
nginx: CPU time per request (which other load on the machine changes much
less than throughput), throughput, p99, RSS and the load average, per run.

  bench/compare_builds.py before=DIR,after=DIR[+FLAG+VALUE...] start|flows ROUNDS SECONDS

Each DIR holds perch-proxy and perch-bench-flows (e.g. a copy of
build/bench/native/bin taken before a change); "+" adds flags that build
knows, e.g. after=DIR+--keep-alive-requests+1000. Loads target 127.0.0.1 only.
"""

import argparse
import os
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import anchor_section  # noqa: E402
import run  # noqa: E402

FLAGS = ["--max-sessions", "10000000", "--max-pending-flows", "10000000", "--start-per-minute", "0",
         "--exchange-per-minute", "0", "--max-connections-per-client", "0"]


def main():
    if len(sys.argv) != 5 or sys.argv[2] not in ("start", "flows"):
        sys.exit(__doc__)
    builds = {}
    for item in sys.argv[1].split(","):
        name, spec = item.split("=", 1)
        folder, *extra = spec.split("+")
        builds[name] = (folder, extra)
    mode, rounds, seconds = sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    results = {name: [] for name in builds}
    with tempfile.TemporaryDirectory(prefix="perch-compare-") as scratch:
        port = run.free_port()
        nginx = anchor_section.nginx_provider(scratch, port)
        provider = argparse.Namespace(origin=f"http://127.0.0.1:{port}")
        try:
            anchor_section.wait_answers(provider.origin + "/oauth/request_token")
            for r in range(rounds):
                order = list(builds.items())
                for name, (folder, extra) in (order if r % 2 == 0 else order[::-1]):
                    bench = argparse.Namespace(bin=os.path.abspath(folder), scratch=scratch, logs=scratch,
                                               seconds=seconds)
                    with run.start_proxy(bench, provider, *FLAGS, *extra) as proxy:
                        time.sleep(0.3)
                        with run.Measured(proxy) as m:
                            if mode == "start":
                                w = run.run_wrk(bench, proxy.origin + "/api/twitter/start", "start.lua", 16,
                                                {"PERCH_BENCH_ORIGIN": proxy.origin})
                                done, rate, p99, errors = (w["requests"], w["rps"], w["p99_ms"],
                                                           w["non2xx"] + w["socket_errors"])
                            else:
                                f = run.sign_ins(bench, proxy.origin, 16)
                                done, rate, p99, errors = (f["completed"], f["per_second"], f["latency"]["p99_ms"],
                                                           f["errors"])
                        results[name].append((rate, m.cpu[0] * 1e6 / max(done, 1), p99, errors,
                                              run.rss_kib(proxy.pid) / 1024, anchor_section.load_average()))
        finally:
            nginx.terminate()
            nginx.wait(timeout=10)
    for name, runs in results.items():
        cpus = sorted(cpu for _, cpu, *_ in runs)
        print(f"{name}: proxy CPU/{'start' if mode == 'start' else 'sign-in'} median {cpus[len(cpus) // 2]:.0f} µs")
        for rate, cpu, p99, errors, rss, load in runs:
            print(f"  {rate:,.0f}/s · {cpu:.0f} µs CPU · p99 {p99:.1f} ms · errors {errors} · RSS {rss:.1f} MiB "
                  f"· load {load}")


if __name__ == "__main__":
    main()
