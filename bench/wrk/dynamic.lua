-- Scripted requests for tienda's benchmark. Arguments after `--`:
--   get_auth FILE            GET /cart, bearer tokens from FILE round-robin
--   cart_add FILE PIDS       POST /cart {product_id, quantity: 1}, tokens round-robin,
--                            products from PIDS round-robin
--   checkout FILE PIDS [BODY] one customer per wrk thread (run with -t N -c N): add one
--                            unit to the cart, then POST /orders with the JSON in the
--                            file BODY (default: a one-line address, nothing else); repeat
--   webhook FILE THREADS     POST signed Stripe events: FILE has one delivery a line,
--                            `Stripe-Signature value<TAB>body`; thread k of THREADS sends
--                            lines k, k+THREADS, ... in order, then starts again (counted
--                            in `wrapped`); outcomes counted from the answers
--   login FILE PASSWORD      POST /auth/login, emails from FILE round-robin
--   paths FILE TOKEN ACCEPT  GET each path in FILE round-robin (each thread from its
--                            own place) with a bearer TOKEN and an Accept header
-- Every response is classified; done() prints one BENCH_JSON line.

local threads = {}
local next_id = 0

function setup(thread)
  thread:set("tid", next_id)
  next_id = next_id + 1
  table.insert(threads, thread)
end

local function slurp(path)
  local f = assert(io.open(path, "rb"))
  local text = f:read("*a")
  f:close()
  return (text:gsub("%s+$", ""))
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
  applied, unchanged, ignored, wrapped = 0, 0, 0, 0
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
    local body = '{"delivery_address":"1 Benchmark Street, 28001 Madrid"}'
    if args[4] then body = slurp(args[4]) end
    reqs[2] = wrk.format("POST", "/orders", h, body)
  elseif mode == "webhook" then
    local nthreads = tonumber(args[3])
    for k, line in ipairs(items) do
      if (k - 1) % nthreads == tid then
        local tab = string.find(line, "\t", 1, true)
        table.insert(reqs, wrk.format("POST", "/payments/stripe/webhook", {
          ["Stripe-Signature"] = string.sub(line, 1, tab - 1), ["Content-Type"] = "application/json" },
          string.sub(line, tab + 1)))
      end
    end
  elseif mode == "login" then
    local password = args[3]
    for _, email in ipairs(items) do
      table.insert(reqs, wrk.format("POST", "/auth/login", { ["Content-Type"] = "application/json" },
        '{"email":"' .. email .. '","password":"' .. password .. '"}'))
    end
  elseif mode == "paths" then
    local h = { ["Authorization"] = "Bearer " .. args[3], ["Accept"] = args[4] }
    for _, path in ipairs(items) do
      table.insert(reqs, wrk.format("GET", path, h))
    end
  else
    error("unknown mode " .. tostring(mode))
  end
  n = #reqs
  i = tid % n
  -- The webhook list is walked from its start, once (then again, counted).
  if mode == "webhook" then i = 0 end
  sent = 0
end

function request()
  if mode == "checkout" then
    return reqs[step]
  end
  if mode == "webhook" then
    -- wrk calls request() once on thread 0 to check the script before the
    -- run; that call is not sent, so it must not use up a delivery.
    if tid == 0 and not checked then
      checked = true
      return reqs[1]
    end
    sent = sent + 1
    if sent > n then wrapped = wrapped + 1 end
  end
  i = i % n + 1
  return reqs[i]
end

function response(status, headers, body)
  local answered = step
  if mode == "checkout" then step = step % 2 + 1 end
  if status >= 200 and status < 300 then
    ok = ok + 1
    if mode == "webhook" then
      if string.find(body, '"applied"', 1, true) then applied = applied + 1
      elseif string.find(body, '"unchanged"', 1, true) then unchanged = unchanged + 1
      else ignored = ignored + 1 end
    end
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
  local t_applied, t_unchanged, t_ignored, t_wrapped = 0, 0, 0, 0
  for _, t in ipairs(threads) do
    t_ok = t_ok + (t:get("ok") or 0)
    t_non2xx = t_non2xx + (t:get("non2xx") or 0)
    t_orders = t_orders + (t:get("orders_ok") or 0)
    t_applied = t_applied + (t:get("applied") or 0)
    t_unchanged = t_unchanged + (t:get("unchanged") or 0)
    t_ignored = t_ignored + (t:get("ignored") or 0)
    t_wrapped = t_wrapped + (t:get("wrapped") or 0)
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests":%d,"duration_us":%d,"bytes":%d,"connect_errors":%d,' ..
    '"read_errors":%d,"write_errors":%d,"status_errors":%d,"timeouts":%d,' ..
    '"p50_us":%d,"p90_us":%d,"p99_us":%d,"max_us":%d,"mean_us":%.1f,' ..
    '"ok":%d,"non2xx":%d,"orders_ok":%d,"applied":%d,"unchanged":%d,"ignored":%d,"wrapped":%d}\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write,
    e.status, e.timeout, latency:percentile(50), latency:percentile(90),
    latency:percentile(99), latency.max, latency.mean, t_ok, t_non2xx, t_orders,
    t_applied, t_unchanged, t_ignored, t_wrapped))
end
