-- Scripted requests for tienda's benchmark. Arguments after `--`:
--   get_auth FILE            GET /cart, bearer tokens from FILE round-robin
--   cart_add FILE PIDS       POST /cart {product_id, quantity: 1}, tokens round-robin,
--                            products from PIDS round-robin
--   checkout FILE PIDS       one customer per wrk thread (run with -t N -c N): add one
--                            unit to the cart, then POST /orders; repeat
--   login FILE PASSWORD      POST /auth/login, emails from FILE round-robin
-- Every response is classified; done() prints one BENCH_JSON line.

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

local reqs = {}
local n = 0
local i = 0
-- Checkout phase: 1 = add to cart, 2 = place the order. It advances in
-- response(), not request(): wrk calls request() once more on thread 0 to
-- verify the script, and that call must not skip a step.
local step = 1

function init(args)
  mode = args[1]
  ok, non2xx, orders_ok, adds_ok = 0, 0, 0, 0
  local items = lines(args[2])
  if mode == "get_auth" then
    for _, tok in ipairs(items) do
      table.insert(reqs, wrk.format("GET", "/cart", { ["Authorization"] = "Bearer " .. tok }))
    end
  elseif mode == "cart_add" then
    local pids = lines(args[3])
    for k, tok in ipairs(items) do
      local body = '{"product_id":"' .. pids[(k - 1) % #pids + 1] .. '","quantity":1}'
      table.insert(reqs, wrk.format("POST", "/cart", {
        ["Authorization"] = "Bearer " .. tok, ["Content-Type"] = "application/json" }, body))
    end
  elseif mode == "checkout" then
    local pids = lines(args[3])
    local tok = items[tid % #items + 1]
    local pid = pids[tid % #pids + 1]
    local h = { ["Authorization"] = "Bearer " .. tok, ["Content-Type"] = "application/json" }
    reqs[1] = wrk.format("POST", "/cart", h, '{"product_id":"' .. pid .. '","quantity":1}')
    reqs[2] = wrk.format("POST", "/orders", h, '{"delivery_address":"1 Benchmark Street, 28001 Madrid"}')
  elseif mode == "login" then
    local password = args[3]
    for _, email in ipairs(items) do
      table.insert(reqs, wrk.format("POST", "/auth/login", { ["Content-Type"] = "application/json" },
        '{"email":"' .. email .. '","password":"' .. password .. '"}'))
    end
  else
    error("unknown mode " .. tostring(mode))
  end
  n = #reqs
  i = tid % n
end

function request()
  if mode == "checkout" then
    return reqs[step]
  end
  i = i % n + 1
  return reqs[i]
end

function response(status, headers, body)
  local answered = step
  if mode == "checkout" then step = step % 2 + 1 end
  if status >= 200 and status < 300 then
    ok = ok + 1
    if mode == "checkout" then
      -- One connection per thread and no pipelining: this answers reqs[answered].
      if answered == 2 and status == 201 then
        orders_ok = orders_ok + 1
      else
        adds_ok = adds_ok + 1
      end
    end
  else
    non2xx = non2xx + 1
    if non2xx <= 3 then
      io.stderr:write("non-2xx " .. status .. " (" .. mode .. " step " .. answered .. "): " .. string.sub(body, 1, 300) .. "\n")
    end
  end
end

function done(summary, latency, requests)
  local t_ok, t_non2xx, t_orders = 0, 0, 0
  for _, t in ipairs(threads) do
    t_ok = t_ok + (t:get("ok") or 0)
    t_non2xx = t_non2xx + (t:get("non2xx") or 0)
    t_orders = t_orders + (t:get("orders_ok") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"ok":%d,"non2xx":%d,"orders_ok":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, t_ok, t_non2xx, t_orders))
end
