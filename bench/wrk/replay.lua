-- wrk script for the provider ceiling: replays ONE signed POST
-- /oauth/request_token against perch-emulator --fast --bench-replay-nonces
-- (the only mode that accepts a reused nonce). The Authorization header is
-- signed by scripts/bench just before the run (timestamps are checked to
-- +-300 s) and passed in PERCH_BENCH_AUTHORIZATION.
wrk.method = "POST"
wrk.body = ""  -- Content-Length: 0 (without it the server waits for a body until close)
wrk.headers["Authorization"] = os.getenv("PERCH_BENCH_AUTHORIZATION")
wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
