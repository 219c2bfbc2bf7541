-- wrk script: a GET as a reverse proxy's auth subrequest sends it, with the
-- browser's session cookie from the environment (PERCH_BENCH_COOKIE, may be empty).
wrk.method = "GET"
local cookie = os.getenv("PERCH_BENCH_COOKIE")
if cookie and cookie ~= "" then wrk.headers["Cookie"] = cookie end
