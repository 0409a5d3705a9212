-- The groups of the workstation, checked against a walk of Linux 7.0's pci_device_group by hand.
local members = require("lib.pci").members

report.section("CPU root ports with ACS")
expect.eq(members("gpu"), "gpu gpu-audio", "the GPU and its audio function: one multifunction device, no ACS between them")
expect.eq(members("nvme"), "nvme", "the NVMe drive alone: ACS from its root port up")
expect.eq(members("nvme2"), "nvme2", "below the switch with ACS: alone too")
expect.eq(members("nic0"), "nic0 nic1", "the dual-port NIC: its functions share a group")

report.section("the chipset: one slot of root ports without ACS")
expect.eq(members("sata"), "0000:00:1c.0 0000:00:1c.1 0000:00:1c.2 ethernet sata usb",
  "everything below the chipset's root ports is one group")
expect.eq(soc.device("sata").group, soc.device("0000:00:1c.0").group, "the root ports themselves are in it")
expect.eq(soc.device("sata").bdf, "0000:0b:00.0", "the SATA controller sits at 0b:00.0, below 00:1c.0")

report.section("the switch without ACS")
expect.eq(members("capture"), "0000:08:00.0 capture", "the capture card joins its downstream port")
expect.eq(members("nic-b"), "0000:08:01.0 nic-b", "the second NIC joins the other downstream port")
expect.eq(require("lib.pci").p2p_hazards(true), 1, "one p2p-across-groups hazard: capture and nic-b reach each other through the switch")
