-- Helpers for PCI scenarios: a device's group as one line of names, and the boot's
-- p2p-across-groups hazards.
local M = {}

--- The names of the devices in the named device's group, in the group's order (sorted by name).
---@param name string
---@return string
function M.members(name)
  local names = {}
  for _, d in ipairs(soc.device(name).group.devices) do names[#names + 1] = d.name end
  return table.concat(names, " ")
end

--- The p2p-across-groups hazards boot found (sim.events() entries), each noted in the report when `note` is true.
---@param note boolean?
---@return integer
function M.p2p_hazards(note)
  local n = 0
  for _, e in ipairs(sim.events()) do
    if e.kind == "p2p-across-groups" then
      n = n + 1
      if note then report.note(e.why) end
    end
  end
  return n
end

return M
