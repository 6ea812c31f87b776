-- Boot storm for wrk (used by bench/metadata_vs_nginx.py):
--
--   wrk -t1 -c64 -d60s -s bench/bootstorm.lua http://127.0.0.1:PORT -- IDS PATHS DONE
--
-- IDS holds one "uuid signature" line per instance (the signature is the lowercase hex
-- HMAC-SHA256 of the uuid with the service's proxy_shared_secret); PATHS one path per line:
-- the walk an instance makes at boot. Every request is built once in init(); request() hands
-- them out step by step (step k of every instance before step k + 1, as if all instances
-- booted at once), response() counts; when every answer is in, the thread stops and the
-- file DONE is created, so the bench can interrupt wrk (which otherwise sleeps out -d).
-- Wall time runs from the first request handed out to the last answer (CLOCK_MONOTONIC).
--
-- A free connection asks for a request even when none is left; it then gets a GET on the
-- token path, which the service answers with 405 (a GET there is never part of a walk), so
-- these "extras" are told apart from the walk's answers. Any other non-2xx is an error.
-- One wrk thread only (-t1): each thread would replay the whole list.

local ffi = require("ffi")
ffi.cdef([[
typedef struct { long tv_sec; long tv_nsec; } bootstorm_timespec;
int clock_gettime(int clock, bootstorm_timespec *tp);
]])
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("bootstorm_timespec")

local function now()
  ffi.C.clock_gettime(CLOCK_MONOTONIC, timespec)
  return tonumber(timespec.tv_sec) + tonumber(timespec.tv_nsec) * 1e-9
end

local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

reqs = {}
total = 0
handed = 0
answered = 0
errors = 0
extras_sent = 0
extras_seen = 0
started = 0
finished = 0
local extra
local done_file
local verified = false

function init(args)
  local ids, paths = {}, {}
  for line in io.lines(args[1]) do
    local id, sig = line:match("^(%S+) (%S+)$")
    if id then
      ids[#ids + 1] = { id, sig }
    end
  end
  for line in io.lines(args[2]) do
    if #line > 0 then
      paths[#paths + 1] = line
    end
  end
  done_file = args[3]
  for _, path in ipairs(paths) do
    for _, pair in ipairs(ids) do
      reqs[#reqs + 1] = wrk.format("GET", path, {
        ["X-Instance-ID"] = pair[1],
        ["X-Instance-ID-Signature"] = pair[2],
      })
    end
  end
  total = #reqs
  extra = wrk.format("GET", "/latest/api/token", {
    ["X-Instance-ID"] = ids[1][1],
    ["X-Instance-ID-Signature"] = ids[1][2],
  })
end

function request()
  if not verified then
    -- wrk calls request() once before the first connection, to count pipelined requests,
    -- and sends nothing: hand out nothing yet.
    verified = true
    return reqs[1] or wrk.format("GET", "/")
  end
  if handed < total then
    if handed == 0 then
      started = now()
    end
    handed = handed + 1
    return reqs[handed]
  end
  extras_sent = extras_sent + 1
  return extra
end

function response(status, headers, body)
  if status == 405 then
    extras_seen = extras_seen + 1
    return
  end
  answered = answered + 1
  if status < 200 or status > 299 then
    errors = errors + 1
  end
  if answered == total then
    finished = now()
    wrk.thread:stop()
    if done_file then
      io.open(done_file, "w"):close()
    end
  end
end

function done(summary, latency, requests)
  for _, thread in ipairs(threads) do
    local started, finished = thread:get("started"), thread:get("finished")
    io.write(string.format(
      "storm total=%d answered=%d errors=%d seconds=%.4f extras_sent=%d extras_seen=%d\n",
      thread:get("total"), thread:get("answered"), thread:get("errors"),
      finished > 0 and finished - started or -1,
      thread:get("extras_sent"), thread:get("extras_seen")))
  end
end
