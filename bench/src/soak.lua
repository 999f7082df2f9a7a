-- wrk script of `pnpm bench --soak` (soak.ts): 90 % parts.byId of a random seeded id, 10 % parts.create with a
-- unique part number, one token. Arguments after `--`: maxId uniquePrefix token.
-- done() prints one line "soak-summary <json>".

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

-- wrk corrects its latency distribution for coordinated omission before done() sees it: for a response slower than
-- twice the mean interval between one connection's requests, it adds the samples an open-loop client sending at
-- that rate would have seen during the wait. Percentiles (and these shares) therefore count the time the server
-- stalled, not only the few requests that were in flight then; `max` is a real request's.
-- The share (percent) of that distribution above `micros`, by bisection on the percentile.
local function percentOver(latency, micros)
  if latency.max <= micros then return 0 end
  local below, above = 0, 100
  for _ = 1, 50 do
    local mid = (below + above) / 2
    if latency:percentile(mid) <= micros then below = mid else above = mid end
  end
  return 100 - below
end

function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    'soak-summary {"total":%d,"durationSec":%.3f,"p50Ms":%.2f,"p99Ms":%.2f,"p999Ms":%.2f,"maxMs":%.2f,' ..
      '"over1sPercent":%.4f,"over2sPercent":%.4f,"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"statusErrors":%d,"timeouts":%d}\n',
    summary.requests, summary.duration / 1e6, latency:percentile(50) / 1000, latency:percentile(99) / 1000,
    latency:percentile(99.9) / 1000, latency.max / 1000, percentOver(latency, 1000000), percentOver(latency, 2000000),
    e.connect, e.read, e.write, e.status, e.timeout))
end
