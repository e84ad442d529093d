-- wrk script for bench/sqlite-load: every connection mixes reads and writes against SESSIONS chat
-- sessions. Half the requests write (a GraphQL createMessage), the other half read (the REST list
-- of sessions, a session's messages on both REST surfaces' paths, a GraphQL query). A request
-- counts as failed if its status is not 2xx or its GraphQL answer has errors; done() prints one
-- RESULT line with throughput, latency percentiles, writes and failures. With ACKED_DIR set, each
-- thread writes the id of every message whose creation was acknowledged to ACKED_DIR/acked-N,
-- so that the database can be checked id by id.
local key = assert(os.getenv("API_KEY"), "API_KEY not set")
local sessions = tonumber(os.getenv("SESSIONS") or "100")
local threads = {}

function setup(thread)
  thread:set("id", #threads + 1)
  table.insert(threads, thread)
end

local acked_dir = os.getenv("ACKED_DIR")

function init(args)
  failed, writes, sample = 0, 0, nil
  math.randomseed(os.time() * 1000 + id)
  if acked_dir and acked_dir ~= "" then
    acked = assert(io.open(acked_dir .. "/acked-" .. id, "w"))
    -- Line-buffered: wrk may exit without closing its threads' files.
    acked:setvbuf("line")
  end
end

local function graphql(query)
  return wrk.format("POST", "/graphql",
    { ["X-API-KEY"] = key, ["Content-Type"] = "application/json" }, query)
end

function request()
  local session = math.random(sessions)
  local pick = math.random(100)
  if pick <= 50 then
    return graphql(string.format(
      '{"query":"mutation { createMessage(input: {chatSessionId: %d, content: \\"load %d\\"}) { id } }"}',
      session, math.random(1000000)))
  elseif pick <= 70 then
    return wrk.format("GET", "/api/v1/chat-sessions?per_page=20&page=" .. math.random(5),
      { ["X-API-KEY"] = key })
  elseif pick <= 90 then
    return wrk.format("GET", string.format("/api/v1/chat-sessions/%d/messages?per_page=50", session),
      { ["X-API-KEY"] = key })
  else
    return graphql(string.format(
      '{"query":"{ chatSession(id: %d) { title character { name } messages(first: 20) { totalCount nodes { content } } } }"}',
      session))
  end
end

function response(status, headers, body)
  local ok = status >= 200 and status < 300 and not body:find('"errors"', 1, true)
  if not ok then
    failed = failed + 1
    if sample == nil then sample = status .. " " .. body:sub(1, 300) end
  elseif body:find('"createMessage"', 1, true) then
    writes = writes + 1
    local message = body:match('"createMessage":{"id":(%d+)}')
    if acked and message then acked:write(message, "\n") end
  end
end

function done(summary, latency, requests)
  local failed_total, writes_total, sample_any = 0, 0, nil
  for _, thread in ipairs(threads) do
    failed_total = failed_total + thread:get("failed")
    writes_total = writes_total + thread:get("writes")
    sample_any = sample_any or thread:get("sample")
  end
  local e = summary.errors
  local secs = summary.duration / 1e6
  io.write(string.format(
    "RESULT requests=%d secs=%.1f rps=%.1f writes=%d writes_per_s=%.1f p50_ms=%.1f p99_ms=%.1f " ..
    "max_ms=%.1f failed=%d err_connect=%d err_read=%d err_write=%d err_timeout=%d\n",
    summary.requests, secs, summary.requests / secs, writes_total, writes_total / secs,
    latency:percentile(50) / 1000, latency:percentile(99) / 1000, latency.max / 1000,
    failed_total, e.connect, e.read, e.write, e.timeout))
  if sample_any then io.write("first failure: " .. sample_any .. "\n") end
end
