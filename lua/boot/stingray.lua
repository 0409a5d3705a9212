local groups = soc.groups()
report.note(("%d masters in %d IOMMU group(s)"):format(#soc.devices(), #groups))
expect.eq(#groups, 3, "one group per stream ID")
expect.ok(soc.device("sdio0").group ~= soc.device("sdio1").group, "the two SD hosts are apart")
for _, g in ipairs(groups) do
  expect.ok(g.default_domain ~= nil, g.name .. " has a default domain")
end
