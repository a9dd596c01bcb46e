-- A shopper's mixed traffic for the soak (bench/soak.py). Arguments after `--`:
--   TOKENS PIDS PACE_MS
-- Each connection is one customer (a bearer token from TOKENS, one per
-- thread) cycling through: the catalog, a product page (HTML), a category,
-- a search, a suggestion, add to cart, the cart, and every fourth round a
-- checkout; PACE_MS between requests keeps the rate steady instead of
-- saturating. done() prints one SOAK_JSON line: latencies, and answers by
-- class (5xx counted apart from refusals).

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function lines(path)
  local out = {}
  for line in io.lines(path) do
    if line ~= "" then table.insert(out, line) end
  end
  return out
end

local steps = {}
local step = 0
local round = 0
local pace = 10

function init(args)
  ok, refused, server_errors = 0, 0, 0
  local tokens = lines(args[1])
  local pids = lines(args[2])
  pace = tonumber(args[3]) or 10
  local tok = tokens[tid % #tokens + 1]
  local pid = pids[tid % #pids + 1]
  local auth = { ["Authorization"] = "Bearer " .. tok }
  local json = { ["Authorization"] = "Bearer " .. tok, ["Content-Type"] = "application/json" }
  local words = { "lamp", "mug", "headphones", "chair", "wooden", "ceramic" }
  steps = {
    wrk.format("GET", "/products?limit=20"),
    wrk.format("GET", "/products/" .. pid, { ["Accept"] = "text/html" }),
    wrk.format("GET", "/products/soak"),
    wrk.format("GET", "/search?q=" .. words[tid % #words + 1]),
    wrk.format("GET", "/search/suggest?q=he"),
    wrk.format("POST", "/cart", json, '{"product_id":"' .. pid .. '","quantity":1}'),
    wrk.format("GET", "/cart", auth),
    "checkout",
  }
  checkout = wrk.format("POST", "/orders", json, '{"delivery_address":"1 Soak Street, 28001 Madrid"}')
  step = tid % (#steps - 1)
end

function delay()
  return pace
end

function request()
  step = step % #steps + 1
  if step == 1 then round = round + 1 end
  local r = steps[step]
  if r == "checkout" then
    if round % 4 == 0 then return checkout end
    step = 1
    round = round + 1
    return steps[1]
  end
  return r
end

function response(status, headers, body)
  if status >= 500 then
    server_errors = server_errors + 1
    if server_errors <= 3 then
      io.stderr:write("5xx " .. status .. ": " .. string.sub(body, 1, 300) .. "\n")
    end
  elseif status >= 400 then
    refused = refused + 1
  else
    ok = ok + 1
  end
end

function done(summary, latency, requests)
  local t_ok, t_refused, t_5xx = 0, 0, 0
  for _, t in ipairs(threads) do
    t_ok = t_ok + (t:get("ok") or 0)
    t_refused = t_refused + (t:get("refused") or 0)
    t_5xx = t_5xx + (t:get("server_errors") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'SOAK_JSON {"requests":%d,"duration_us":%d,"socket_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p99_us":%d,"max_us":%d,"ok":%d,"refused":%d,"server_errors":%d}\n',
    summary.requests, summary.duration, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(99), latency.max, t_ok, t_refused, t_5xx))
end
