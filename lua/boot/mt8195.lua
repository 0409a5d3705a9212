local groups = soc.groups()
report.note(("%d masters in %d IOMMU group(s)"):format(#soc.devices(), #groups))
expect.eq(#groups, 2, "one group per IOVA region that has masters, across vdo and vpp")
expect.eq(soc.device("ovl0").group, soc.device("rdma0").group, "ovl0 and rdma0 share region r0's group")
expect.ok(soc.device("mdp3-rdma0").group ~= soc.device("ovl0").group, "the MDP3 RDMA is in region r2's group")
for _, g in ipairs(groups) do
  expect.ok(g.default_domain ~= nil, g.name .. " has a default domain")
end
