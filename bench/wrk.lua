-- wrk driver: random learner token x random request line per request.
-- wrk ... -s bench/wrk.lua URL -- <tokens file or -> <requests file> [delay ms] [mode] [start] [words file]
--   [threads]
-- requests file: one "METHOD PATH [JSON BODY]" per line.
-- mode "random" (default): a random token and a random line per request.
-- mode "pairs": every request a new (token, line) pair: request n of thread t (of the run's threads) is
--   pair k = start + n * threads + t, token k % #tokens, line (k // #tokens) % #lines.
-- mode "terms": every request a new search term: "{term}" in the line becomes three words of the words
--   file, the k-th of the #words^3 triples in a scrambled order (k as above).
-- "start" lets consecutive runs go on where the last one stopped (no pair or term twice in a bench).
local tokens = {}
local reqs = {}
local words = {}
local pause = 0
local counter = 0
local threads = {}
local mode = "random"
local start = 0
local stride = 1
local n = 0

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
  mode = args[4] or "random"
  start = tonumber(args[5] or "0")
  words = lines(args[6])
  stride = tonumber(args[7] or "1")
  s2xx, s409, s4xx, s5xx, sother = 0, 0, 0, 0, 0
end

function request()
  local r, token, path
  if mode == "random" then
    r = reqs[math.random(#reqs)]
    if #tokens > 0 then token = tokens[math.random(#tokens)] end
    path = r.path
  else
    local k = start + n * stride + (tid - 1)
    n = n + 1
    if mode == "pairs" then
      token = tokens[k % #tokens + 1]
      r = reqs[math.floor(k / #tokens) % #reqs + 1]
      path = r.path
    else
      if #tokens > 0 then token = tokens[math.random(#tokens)] end
      r = reqs[1]
      local w = #words
      local j = (k * 7919) % (w * w * w)  -- 7919 is prime, coprime with #words^3 for the word list used
      local term = words[j % w + 1] .. "+" .. words[math.floor(j / w) % w + 1] .. "+" .. words[math.floor(j / (w * w)) + 1]
      path = r.path:gsub("{term}", term)
    end
  end
  local headers = {}
  for k, v in pairs(r.headers) do headers[k] = v end
  if token ~= nil then headers["Authorization"] = "Token " .. token end
  return wrk.format(r.method, path, headers, r.body)
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
