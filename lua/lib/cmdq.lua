-- Summarises what an IOMMU's command queue received (iommu:commands()): runs of one opcode become
-- "N × OP (first … last)", so a 256-page invalidation reads as one line.
local M = {}

function M.summary(cmds)
  local out, i = {}, 1
  while i <= #cmds do
    local j = i
    while j < #cmds and cmds[j + 1].op == cmds[i].op do j = j + 1 end
    if j == i then
      out[#out + 1] = cmds[i].text
    else
      out[#out + 1] = string.format("%d × %s (%s … %s)", j - i + 1, cmds[i].op, cmds[i].text, cmds[j].text)
    end
    i = j + 1
  end
  if #out == 0 then return "no commands" end
  return table.concat(out, "; ")
end

--- Takes the commands since the last call: their summary and the list.
function M.take(iommu)
  local cmds = iommu:commands()
  return M.summary(cmds), cmds
end

return M
