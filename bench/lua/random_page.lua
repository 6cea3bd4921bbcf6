-- GET one of the benchmark pages; BENCH_PATH picks which (see bench/load.py).
package.path = package.path .. ";bench/lua/?.lua"
require("common")

local mode = os.getenv("BENCH_PATH") or "ceiling"
local low = tonumber(os.getenv("BENCH_ID_MIN") or "1")
local high = tonumber(os.getenv("BENCH_ID_MAX") or "1")
local districts = {}
for d in string.gmatch(os.getenv("BENCH_DISTRICTS") or "1", "%d+") do
  table.insert(districts, d)
end
local kinds = {"residential", "community", "assessment", "training"}

function init(args)
  seed_thread()
end

function request()
  local path
  if mode == "ceiling" then
    path = "/_bench/ceiling/" .. math.random(low, high)
  elseif mode == "page" then
    path = "/institutions/" .. math.random(low, high)
  elseif mode == "directory" then
    path = "/institutions/?district=" .. districts[math.random(#districts)] ..
      "&kind=" .. kinds[math.random(#kinds)]
  elseif mode == "queue" then
    path = "/staff/queue"
  end
  return wrk.format("GET", path)
end
