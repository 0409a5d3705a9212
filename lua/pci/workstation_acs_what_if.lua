-- What the pci= parameter can and cannot change in a workstation's groups.
local members = require("lib.pci").members
expect.eq(members("gpu"), "0000:00:01.0 gpu gpu-audio", "the GPU's functions join their root port, which no longer redirects")
expect.eq(members("capture"), "0000:08:00.0 capture", "config_acs could not give the switch's ports a capability they lack")
expect.eq(require("lib.pci").p2p_hazards(false), 1, "the switch's peer-to-peer hazard stays")
