-- wrk script: POST /v1/batch with 100 track events per request, every messageId new.
-- Each wrk thread gets its own id prefix (a global set by setup: a `local` would hide it).
local counter = 0
local threads = 0

function setup(thread)
  threads = threads + 1
  thread:set("prefix", "t" .. threads .. "-" .. tostring(os.time()))
end

function init(args)
  auth = args[1]
  path = args[2] or "/v1/batch"
end

request = function()
  counter = counter + 1
  local parts = {}
  for i = 1, 100 do
    local account = (counter * 7 + i) % 1000 + 1
    parts[i] = string.format(
      '{"type":"track","messageId":"%s-%d-%d","userId":"acc%d-u%d","event":"Report Exported",' ..
      '"context":{"groupId":"ACC-%06d"},"timestamp":"2026-11-20T10:00:00Z"}',
      prefix, counter, i, account, i % 8, account)
  end
  local body = '{"batch":[' .. table.concat(parts, ",") .. ']}'
  return wrk.format("POST", path, { ["Authorization"] = "Basic " .. auth, ["Content-Type"] = "application/json" }, body)
end
