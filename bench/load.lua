-- wrk script for every scenario of bench/run.sh: proves nothing alone, it drives the load
-- and checks the answers.
--   BODIES  file of JSON request bodies, one per line, sent in turn with POST; unset: GET
--   TOKEN   bearer token for the Authorization header (optional)
--   EXPECT  text of an expected GraphQL error (the wrong-token redeem); other errors count
--   SAMPLE  file to write the first unexpected error answer to (optional)
-- done() prints one line: RESULT {json} with requests/s, p50/p99 (µs) and error counts.

local threads = {}

-- The bodies are read when the script loads, in every Lua state wrk makes: wrk decides
-- from the main state whether `request` exists. With one body (every read scenario) there
-- is no `request` function, and wrk builds the request once instead of calling into Lua
-- for each one: the load generator's CPU is taken from the same two cores as the service's.
local bodies, count = {}, 0
local path = os.getenv("BODIES")
if path and path ~= "" then
  for line in io.lines(path) do
    count = count + 1
    bodies[count] = line
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.body = bodies[1]
end
local token = os.getenv("TOKEN")
if token and token ~= "" then
  wrk.headers["Authorization"] = "Bearer " .. token
end

function setup(thread)
  thread:set("offset", #threads * 7919)
  table.insert(threads, thread)
end

function init(args)
  i = offset or 0
  gql_errors, expected, locked, non2xx, sample = 0, 0, 0, 0, nil
  expect = os.getenv("EXPECT")
  if expect == "" then expect = nil end
end

if count > 1 then
  function request()
    i = i + 1
    return wrk.format(nil, nil, nil, bodies[i % count + 1])
  end
end

function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
  if body and body:find('"errors"', 1, true) then
    if expect and body:find(expect, 1, true) then
      expected = expected + 1
    else
      gql_errors = gql_errors + 1
      sample = sample or body
    end
    if body:find("locked", 1, true) then
      locked = locked + 1
    end
  end
end

function done(summary, latency, requests)
  local gql, exp, lck, bad, first = 0, 0, 0, 0, nil
  for _, t in ipairs(threads) do
    gql = gql + t:get("gql_errors")
    exp = exp + t:get("expected")
    lck = lck + t:get("locked")
    bad = bad + t:get("non2xx")
    first = first or t:get("sample")
  end
  local path = os.getenv("SAMPLE")
  if first and path and path ~= "" then
    local f = io.open(path, "w")
    f:write(first, "\n")
    f:close()
  end
  local e = summary.errors
  io.write(string.format(
    'RESULT {"requests":%d,"duration_us":%d,"rps":%.2f,"p50_us":%d,"p99_us":%d,' ..
    '"non2xx":%d,"socket_errors":%d,"gql_errors":%d,"expected_errors":%d,"locked":%d}\n',
    summary.requests, summary.duration, summary.requests / summary.duration * 1e6,
    latency:percentile(50), latency:percentile(99),
    bad, e.connect + e.read + e.write + e.timeout, gql, exp, lck))
end
