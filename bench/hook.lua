-- wrk script for bench/run: POSTs the sample hook with Okta's secret.
--
--   BENCH_BODY_FILE  the body (tests/samples/voice-mfa-verification.json)
--   BENCH_SECRET     the Authorization header's value
--   BENCH_PAD        optional: an X-Pad header of this many bytes, so that
--                    a request is as long as one with a bearer token
--   BENCH_EXPECT     optional: count answers whose body lacks this text
--                    (a check run only: reading bodies slows wrk down)
--
-- done() prints one machine-readable line starting with "RESULT".

local f = assert(io.open(os.getenv("BENCH_BODY_FILE"), "rb"))
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = os.getenv("BENCH_SECRET")
local pad = tonumber(os.getenv("BENCH_PAD") or "0") or 0
if pad > 0 then
    wrk.headers["X-Pad"] = string.rep("p", pad)
end

local threads = {}

function setup(thread)
    table.insert(threads, thread)
end

local expect = os.getenv("BENCH_EXPECT")
if expect and expect ~= "" then
    seen = 0
    bad = 0
    function response(status, headers, body)
        seen = seen + 1
        if status ~= 200 or not string.find(body, expect, 1, true) then
            bad = bad + 1
        end
    end
end

function done(summary, latency, requests)
    local seen, bad = 0, 0
    for _, t in ipairs(threads) do
        seen = seen + (t:get("seen") or 0)
        bad = bad + (t:get("bad") or 0)
    end
    local e = summary.errors
    io.write(string.format(
        "RESULT requests=%d duration_us=%d rps=%.1f p50_us=%d p99_us=%d " ..
        "max_us=%d socket_errors=%d non2xx=%d checked=%d unexpected=%d\n",
        summary.requests, summary.duration,
        summary.requests / (summary.duration / 1e6),
        latency:percentile(50), latency:percentile(99), latency.max,
        e.connect + e.read + e.write + e.timeout, e.status, seen, bad))
end
