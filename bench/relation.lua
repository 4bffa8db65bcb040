-- W9: list with a relation condition as a signed-in user (the users
-- collection's list rule applies to the joined `author`, so each user sees
-- posts of their own with views > 500).
dofile(os.getenv("BENCH_LIB") .. "/wrk/report.lua")

local tokens = {}

init = function(args)
  for line in io.lines(os.getenv("BENCH_TOKENS")) do
    local tok = line:match("^(%S+)\t")
    if tok then tokens[#tokens + 1] = tok end
  end
  math.randomseed(os.time() * 1000 + math.floor(os.clock() * 1e6))
end

request = function()
  return wrk.format("GET", wrk.path, { ["Authorization"] = tokens[math.random(#tokens)] })
end
