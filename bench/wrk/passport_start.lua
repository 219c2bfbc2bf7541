-- wrk script: GET /auth/twitter at bench/anchor (passport-twitter), as a
-- browser without a session follows the "Sign in with Twitter" link. Each
-- answer is a 302 to the provider and a new session cookie that wrk drops.
wrk.method = "GET"
wrk.headers["Accept"] = "text/html"
