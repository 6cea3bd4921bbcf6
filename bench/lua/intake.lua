-- Open311 POST with an API key and a unique idempotency key per request; counts 201s.
package.path = package.path .. ";bench/lua/?.lua"
require("common")

local low = tonumber(os.getenv("BENCH_ID_MIN") or "1")
local high = tonumber(os.getenv("BENCH_ID_MAX") or "1")
local tag = os.getenv("BENCH_TAG") or "bench"
local key = os.getenv("BENCH_API_KEY") or ""
local codes = {"service_quality", "food_safety", "fire_safety", "pricing", "deposit",
               "medical_care", "elder_abuse", "other"}
local n = 0
created = 0

function init(args)
  seed_thread()
end

function request()
  n = n + 1
  local body = "service_code=" .. codes[math.random(#codes)] ..
    "&description=" .. "%E6%8A%A4%E7%90%86%E5%91%98%E5%A4%9C%E9%87%8C%E4%B8%8D%E5%B7%A1%E6%88%BF" ..
    "&attribute%5Binstitution_id%5D=" .. math.random(low, high) ..
    "&phone=1380000" .. string.format("%04d", math.random(0, 9999))
  local headers = {
    ["Content-Type"] = "application/x-www-form-urlencoded",
    ["Authorization"] = "Bearer " .. key,
    ["Idempotency-Key"] = tag .. "-" .. thread_no .. "-" .. n,
  }
  return wrk.format("POST", "/open311/v2/requests.json", headers, body)
end

function response(status, headers, body)
  if status == 201 then
    created = created + 1
  end
end
