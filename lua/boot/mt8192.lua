local groups = soc.groups()
report.note(("%d masters in %d IOMMU group(s)"):format(#soc.devices(), #groups))
expect.eq(#groups, 2, "one group per IOVA region that has masters")
expect.ok(soc.device("ovl0").group ~= soc.device("vcodec-enc").group, "display and the encoder are apart")
for _, g in ipairs(groups) do
  expect.ok(g.default_domain ~= nil, g.name .. " has a default domain")
end
