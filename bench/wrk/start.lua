-- wrk script: POST /api/twitter/start as the sign-up page sends it (JSON body,
-- the page's Origin). Each answer sets a flow cookie that wrk drops.
-- The origin comes from the environment: PERCH_BENCH_ORIGIN=http://127.0.0.1:PORT
wrk.method = "POST"
wrk.body = "{}"
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Origin"] = os.getenv("PERCH_BENCH_ORIGIN") or "http://127.0.0.1:8080"
