local groups = soc.groups()
expect.eq(#groups, 0, "the SMMU is unregistered: 21 groups, 16 context banks")
report.note(("%d masters in %d IOMMU group(s)"):format(#soc.devices(), #groups))
for _, g in ipairs(groups) do
  expect.ok(g.default_domain ~= nil, g.name .. " has a default domain")
end
