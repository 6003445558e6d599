-- wrk script: POSTs GraphQL requests rotating over prepared (authorization, body) pairs, so that
-- no two requests in flight are the same (the gateway could merge identical ones).
--
-- BENCH_PAIRS names a file of lines "<authorization>\t<JSON body>". Request k of thread t (of n)
-- takes pair (k * n + t) mod #pairs: consecutive requests, whichever thread sends them, differ.
-- Answers that are not HTTP 200 or that carry "errors" are counted; done() prints one line:
-- BENCH {"requests":…,"seconds":…,"p50_us":…,"p99_us":…,"errors":…,"non200":…}

local threads = {}
local thread_count = 0

function setup(thread)
  thread:set("tid", thread_count)
  thread_count = thread_count + 1
  table.insert(threads, thread)
end

function init(args)
  auths, bodies = {}, {}
  for line in io.lines(os.getenv("BENCH_PAIRS")) do
    local tab = line:find("\t", 1, true)
    table.insert(auths, line:sub(1, tab - 1))
    table.insert(bodies, line:sub(tab + 1))
  end
  k, errors, non200 = 0, 0, 0
  nthreads = tonumber(os.getenv("BENCH_THREADS"))
  path = wrk.path
end

function request()
  local i = (k * nthreads + tid) % #bodies + 1
  k = k + 1
  return wrk.format("POST", path, {
    ["content-type"] = "application/json",
    ["authorization"] = auths[i],
  }, bodies[i])
end

local function keep(status, body)
  -- The first few failures go to BENCH_ERRORS (if set), to tell what failed.
  local name = os.getenv("BENCH_ERRORS")
  if name and errors + non200 <= 3 then
    local file = io.open(name, "a")
    file:write(status, " ", body:sub(1, 2000), "\n")
    file:close()
  end
end

function response(status, headers, body)
  if status ~= 200 then
    non200 = non200 + 1
    keep(status, body)
  elseif body:find('"errors"', 1, true) then
    errors = errors + 1
    keep(status, body)
  end
end

function done(summary, latency, requests)
  local errs, bad = 0, 0
  for _, thread in ipairs(threads) do
    errs = errs + thread:get("errors")
    bad = bad + thread:get("non200")
  end
  io.write(string.format(
    'BENCH {"requests":%d,"seconds":%.3f,"p50_us":%d,"p99_us":%d,"errors":%d,"non200":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50), latency:percentile(99),
    errs, bad))
end
