-- wrk script: POST /v1/batch with 100 track events per request, every messageId new and
-- every event stamped with the time its request is built, as a live client stamps it: the
-- keys of stored events lead with their own time, so a fixed timestamp would make every key
-- land at random inside one instant, the worst case rather than live traffic.
-- Each wrk thread gets its own id prefix (a global set by setup: a `local` would hide it).
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("prefix", "t" .. threads .. "-" .. tostring(os.time()))
end

-- Milliseconds where LuaJIT's FFI reaches gettimeofday (wrk's Lua is LuaJIT), else seconds.
local now_ms
do
  local ok, ffi = pcall(require, "ffi")
  if ok and pcall(ffi.cdef, "typedef struct { long tv_sec; long tv_usec; } lodestar_timeval;" ..
                           "int gettimeofday(lodestar_timeval *tv, void *tz);") then
    local tv = ffi.new("lodestar_timeval")
    now_ms = function()
      ffi.C.gettimeofday(tv, nil)
      return tonumber(tv.tv_sec), math.floor(tonumber(tv.tv_usec) / 1000)
    end
  else
    now_ms = function() return os.time(), 0 end
  end
end

-- ISO-8601 in UTC, e.g. 2026-12-03T08:05:09.123Z.
local function timestamp()
  local seconds, millis = now_ms()
  return os.date("!%Y-%m-%dT%H:%M:%S", seconds) .. string.format(".%03dZ", millis)
end

function init(args)
  auth = args[1]
  path = args[2] or "/v1/batch"
end

request = function()
  counter = counter + 1
  local at = timestamp()
  local parts = {}
  for i = 1, 100 do
    local account = (counter * 7 + i) % 1000 + 1
    parts[i] = string.format(
      '{"type":"track","messageId":"%s-%d-%d","userId":"acc%d-u%d","event":"Report Exported",' ..
      '"context":{"groupId":"ACC-%06d"},"timestamp":"%s"}',
      prefix, counter, i, account, i % 8, account, at)
  end
  local body = '{"batch":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", path, { ["Authorization"] = "Basic " .. auth, ["Content-Type"] = "application/json" }, body)
end
