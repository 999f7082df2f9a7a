-- wrk script of the benchmark's load scenarios (see scenarios.ts for the same shapes in TypeScript and
-- load-generator.ts for how wrk is started). Arguments after `--`:
--   kind maxId uniquePrefix token tokenPoolFile tokenOffset
-- (`-` for an absent token or pool); BENCH_CLOCK_TICKS in the environment is the kernel's clock ticks per second. Requests that never change are formatted once; the others per request.
-- done() prints one line "bench-summary <json>" with the figures and wrk's own CPU time from /proc/self/stat.

local kind, maxId, uniquePrefix, token, pool, cursor
local static, created = nil, 0

-- Each thread gets a number (the global threadId in its own Lua state), so created part numbers stay unique.
local counter = 0
function setup(thread)
  counter = counter + 1
  thread:set("threadId", counter)
end

local function readLines(file)
  local lines = {}
  for line in io.lines(file) do
    if line ~= "" then lines[#lines + 1] = line end
  end
  return lines
end

-- encodeURIComponent(JSON.stringify(value)) for the inputs used here: digits, braces, quotes, colons, commas.
local function enc(json)
  return (json:gsub("[{}\":,]", function(c) return string.format("%%%02X", string.byte(c)) end))
end

local function headers(extra)
  local h = extra or {}
  local t = token
  if pool then
    t = pool[cursor % #pool + 1]
    cursor = cursor + 1
  end
  if t then h["authorization"] = "Bearer " .. t end
  return h
end

local function randomId() return math.random(1, maxId) end

local function get(path) return wrk.format("GET", path, headers()) end
local function byIdPath(id) return "/trpc/parts.byId?input=" .. enc('{"id":' .. id .. '}') end
local function listPath(limit) return "/trpc/parts.list?input=" .. enc('{"limit":' .. limit .. '}') end

local function batchPath(n)
  local names, inputs = {}, {}
  for i = 1, n do
    names[i] = "parts.byId"
    inputs[i] = '"' .. (i - 1) .. '":{"id":' .. randomId() .. '}'
  end
  return "/trpc/" .. table.concat(names, ",") .. "?batch=1&input=" .. enc("{" .. table.concat(inputs, ",") .. "}")
end

-- The same new part, through tRPC (path /trpc/parts.create) or REST (POST /api/parts).
local function createAt(path)
  created = created + 1
  local partNumber = uniquePrefix .. "-" .. threadId .. "-" .. created
  local body = '{"partNumber":"' .. partNumber .. '","modelNumber":"BENCH-1","name":"Benchmark bolt","description":"M6 x 20 hex bolt, zinc plated"}'
  return wrk.format("POST", path, headers({ ["content-type"] = "application/json" }), body)
end
local function create() return createAt("/trpc/parts.create") end

local build = {
  byId = function() return get(byIdPath(randomId())) end,
  list20 = function() return get(listPath(20)) end,
  list100 = function() return get(listPath(100)) end,
  batch10 = function() return get(batchPath(10)) end,
  create = create,
  restById = function() return get("/api/parts/" .. randomId()) end,
  restCreate = function() return createAt("/api/parts") end,
  mixed = function()
    if math.random() < 0.9 then return get(byIdPath(randomId())) end
    return create()
  end,
}

function init(args)
  kind, maxId, uniquePrefix = args[1], tonumber(args[2]), args[3]
  if args[4] ~= "-" then token = args[4] end
  if args[5] ~= "-" then pool = readLines(args[5]) end
  cursor = tonumber(args[6])
  math.randomseed(os.time() + threadId * 7919)
  -- One reused token and no varying part: the same bytes every time.
  if pool == nil and (kind == "list20" or kind == "list100") then static = build[kind]() end
end

function request()
  if static then return static end
  return build[kind]()
end

-- CPU seconds (user + system) of this wrk process, all threads, from /proc/self/stat.
local function cpuSeconds()
  local f = io.open("/proc/self/stat", "r")
  if not f then return -1 end
  local stat = f:read("*a")
  f:close()
  local fields = {}
  for field in stat:sub(stat:find(")", 1, true) + 2):gmatch("%S+") do fields[#fields + 1] = field end
  -- After "(comm) ": state is field 1, utime field 12, stime field 13.
  return (tonumber(fields[12]) + tonumber(fields[13])) / tonumber(os.getenv("BENCH_CLOCK_TICKS") or "100")
end

function done(summary, latency, requests)
  local e = summary.errors
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'bench-summary {"total":%d,"durationSec":%.3f,"p50Ms":%.2f,"p99Ms":%.2f,"bytes":%d,' ..
      '"connectErrors":%d,"readErrors":%d,"writeErrors":%d,"statusErrors":%d,"timeouts":%d,"cpuSec":%.2f}\n',
    summary.requests, seconds, latency:percentile(50) / 1000, latency:percentile(99) / 1000, summary.bytes,
    e.connect, e.read, e.write, e.status, e.timeout, cpuSeconds()))
end
