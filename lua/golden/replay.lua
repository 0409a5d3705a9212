-- Replays the golden iova.c sequence the scenario names (params.sequence: lua/golden/<sequence>.lua,
-- generated from golden/iova.json) through the engine's iova module (lua/lib/golden.lua).
local golden = require("lib.golden")
golden.run(params.sequence, require("golden." .. params.sequence))
