-- wrk script of `pnpm bench --soak` (soak.ts): 90 % parts.byId of a random seeded id, 10 % parts.create with a
-- unique part number, one token. Arguments after `--`: maxId uniquePrefix token.
-- done() prints one line "soak-summary <json>", including the count of requests slower than 1 s and 2 s,
-- summed from wrk's latency histogram (one bucket per microsecond; `latency(i)` is bucket i's count).

local maxId, uniquePrefix, token
local created = 0

local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("threadId", counter)
end

function init(args)
  maxId, uniquePrefix, token = tonumber(args[1]), args[2], args[3]
  math.randomseed(os.time() + threadId * 7919)
end

function request()
  local auth = { ["authorization"] = "Bearer " .. token }
  if math.random() < 0.9 then
    -- encodeURIComponent('{"id":N}')
    return wrk.format("GET", "/trpc/parts.byId?input=%7B%22id%22%3A" .. math.random(1, maxId) .. "%7D", auth)
  end
  created = created + 1
  auth["content-type"] = "application/json"
  local body = '{"partNumber":"' .. uniquePrefix .. "-" .. threadId .. "-" .. created ..
    '","modelNumber":"SOAK-1","name":"Soak bolt","description":"M6 x 20 hex bolt, zinc plated"}'
  return wrk.format("POST", "/trpc/parts.create", auth, body)
end

-- How many requests took longer than `micros`: the percentile at which latency passes it, found by bisection
-- (wrk's `latency(i)` walks the whole histogram on every call, too slow to sum over distinct values).
local function countOver(latency, total, micros)
  if latency.max <= micros then return 0 end
  local below, above = 0, 100
  for _ = 1, 50 do
    local mid = (below + above) / 2
    if latency:percentile(mid) <= micros then below = mid else above = mid end
  end
  return math.floor(total * (100 - below) / 100 + 0.5)
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'soak-summary {"total":%d,"durationSec":%.3f,"p50Ms":%.2f,"p99Ms":%.2f,"p999Ms":%.2f,"maxMs":%.2f,' ..
      '"over1s":%d,"over2s":%d,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"statusErrors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000, countOver(latency, summary.requests, 1000000), countOver(latency, summary.requests, 2000000),
    e.connect, e.read, e.write, e.status, e.timeout))
end
