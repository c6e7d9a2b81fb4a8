-- wrk driver: random learner token x random request line per request.
-- wrk ... -s bench/wrk.lua URL -- <tokens file or -> <requests file> [delay ms]
-- requests file: one "METHOD PATH [JSON BODY]" per line.
local tokens = {}
local reqs = {}
local pause = 0
local counter = 0
local threads = {}

function setup(thread)
  counter = counter + 1
  thread:set("tid", counter)
  table.insert(threads, thread)
end

local function lines(path)
  local out = {}
  if path == nil or path == "-" then return out end
  for line in io.lines(path) do
    if #line > 0 then table.insert(out, line) end
  end
  return out
end

function init(args)
  math.randomseed(os.time() * 1000 + (tid or 0) * 7919)
  tokens = lines(args[1])
  for _, line in ipairs(lines(args[2])) do
    local method, path, body = line:match("^(%S+)%s+(%S+)%s*(.*)$")
    local headers = {}
    if body ~= nil and #body > 0 then headers["Content-Type"] = "application/json" else body = nil end
    table.insert(reqs, {method = method, path = path, body = body, headers = headers})
  end
  pause = tonumber(args[3] or "0")
  s2xx, s409, s4xx, s5xx, sother = 0, 0, 0, 0, 0
end

function request()
  local r = reqs[math.random(#reqs)]
  local headers = {}
  for k, v in pairs(r.headers) do headers[k] = v end
  if #tokens > 0 then headers["Authorization"] = "Token " .. tokens[math.random(#tokens)] end
  return wrk.format(r.method, r.path, headers, r.body)
end

function delay()
  return pause
end

function response(status, headers, body)
  if status >= 200 and status < 300 then s2xx = s2xx + 1
  elseif status == 409 then s409 = s409 + 1
  elseif status >= 400 and status < 500 then s4xx = s4xx + 1
  elseif status >= 500 then s5xx = s5xx + 1
  else sother = sother + 1 end
end

function done(summary, latency, requests)
  local t = {s2xx = 0, s409 = 0, s4xx = 0, s5xx = 0, sother = 0}
  for _, thread in ipairs(threads) do
    for k, _ in pairs(t) do t[k] = t[k] + (thread:get(k) or 0) end
  end
  io.write(string.format("STATUS 2xx=%d 409=%d 4xx=%d 5xx=%d other=%d\n", t.s2xx, t.s409, t.s4xx, t.s5xx, t.sother))
end
