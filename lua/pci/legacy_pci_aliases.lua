-- Legacy PCI devices whose DMA carries another requester ID, behind an SMMU v2 and an SMMUv3.
local members = require("lib.pci").members
report.section("SMMU v2: shared stream-map entries")
expect.eq(members("0000:02:05.0"), "0000:01:00.0 0000:02:04.0 0000:02:05.0", "the bridge and both conventional devices: one group")
expect.eq(members("0000:03:00.1"), "0000:03:00.0 0000:03:00.1", "the card reader's functions: one group")
expect.eq(members("0000:04:00.0"), "0000:04:00.0", "the SATA controller: a group of its own, with streams 0x400 and 0x401")
expect.eq(members("0000:06:00.0"), "0000:05:00.0 0000:06:00.0", "behind the ASPEED bridge: the ACS walk joins it")
report.section("SMMUv3: a stream ID is one master's")
expect.eq(members("0001:02:04.0"), "0001:01:00.0 0001:02:04.0", "the first conventional device joins the bridge")
expect.eq(soc.device("0001:02:05.0").group, nil, "the second has no IOMMU: its bridge alias 0x200 is the first's")
expect.eq(soc.device("0001:03:00.1").group, nil, "the card reader's function 1 has none: 0x300 is function 0's")
expect.eq(members("0001:04:00.0"), "0001:04:00.0", "the SATA controller is fine: nothing else has 0x401")
expect.eq(members("0001:06:00.0"), "0001:05:00.0 0001:06:00.0", "the ASPEED bridge: no alias, no clash")
report.section("what the function without an IOMMU gets from the DMA API")
local buf = mem.alloc(SZ_4K)
expect.eq(dma.map_single(soc.device("0001:03:00.1"), buf, SZ_4K, "from_device"), buf,
  "dma-direct: the buffer's physical address, as for a device with no IOMMU (its DMA still reaches the SMMU with function 0's requester ID, which the model does not follow)")
