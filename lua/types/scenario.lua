---@meta
-- Annotations for the Lua Language Server (https://luals.github.io): the scenario library as
-- scripts see it (docs/lua-api.md). Never loaded by the engine; `.luarc.json` at the
-- repository root points editors here. tests/Engine.Tests/LuaAnnotationsTests.cs fails when this
-- file and the engine's library disagree on a library function, its parameter count, an object
-- field or an object method, or on what a function returns (every row is called and its results
-- checked against its @return lines); LuaApiTableTests.cs, on parameter names and types.
--
-- Simulated outcomes are values: success returns the value (or true); failure returns
-- `nil, errno, why` where errno is the kernel's name ("EINVAL") and why the rule that decided.
-- Misusing the API (wrong argument type, unknown name) raises an error at the calling line. The
-- idiom passes a `T|nil` result straight on (a nil passed on is a misuse at that line), which
-- `.luarc.json` allows with type.weakNilCheck (docs/lua-api.md, "Editors").

---@alias Int integer|string               # a Lua integer, or YAML syntax: "16MiB", "0x6000_0000"
---@alias Errno string                     # the kernel's errno name: "EINVAL", "EBUSY", "ENOMEM", …
---@alias Prot string                      # "r" | "w" | "rw", optionally "|cache", "|noexec", "|mmio", "|priv"
---@alias DomainType "unmanaged"|"dma"|"dma-fq"|"identity"|"blocked"
---@alias DmaDir "to_device"|"from_device"|"bidirectional"
---@alias Window {iova: integer, size: integer}|{base: integer, size: integer}|{start: integer, last: integer}

---@class Firmware
---@field name string
---@field iova integer
---@field size integer

---@class Device
---@field name string
---@field group Group?        # nil if the IOMMU refused the device at probe
---@field iommu IommuInstance?
---@field bank integer?       # MediaTek bank id
---@field region string?      # MediaTek: the name of the IOVA region the device's larb/port maps to
---@field dma_mask integer
---@field firmware table<string, Firmware>
---@field bdf string?         # a PCI function's address, 0000:01:00.0; nil for a platform master
---@field driver_bound boolean # a DMA-API driver is bound (it counts in the group's owner_cnt)
local Device = {}

--- A device read through the IOTLB and the page table; a stale IOTLB entry still reaches the old page.
---@param iova Int
---@param size Int?
---@return integer|nil pa
---@return Fault|nil fault
function Device:read(iova, size) end

--- A device write through the IOTLB and the page table.
---@param iova Int
---@param size Int?
---@return integer|nil pa
---@return Fault|nil fault
function Device:write(iova, size) end

--- Access k goes to iova + k·stride mod size; a hit is an access the IOTLB or a bypassing port answered.
---@param iova Int
---@param size Int
---@param opts {stride: Int?, count: integer?, write: boolean?}?
---@return {accesses: integer, hits: integer, misses: integer, faults: integer, stale: integer}
function Device:stream(iova, size, opts) end

--- The device's firmware windows, accessed as the firmware does at boot: one row per access.
---@return {window: string, iova: integer, size: integer, write: boolean, pa: integer?, fault: Fault?}[]
function Device:boot_firmware() end

---@class Group
---@field name string                # group0, group1, …
---@field devices Device[]           # sorted by name
---@field domain Domain?
---@field default_domain Domain?
---@field owner_cnt integer
---@field owner string?               # who claimed DMA ownership (the name a claim gave), nil when nobody did

---@class Domain
---@field name string                # domain#1, …
---@field type DomainType
---@field pgsize_bitmap integer
---@field aperture {start: integer, last: integer}?  # nil until a driver set it
local Domain = {}

--- The domain's mappings, coalesced.
---@return {iova: integer, pa: integer, size: integer, prot: string}[]
function Domain:mappings() end

---@class IommuInstance
---@field name string
---@field driver string
---@field type string
---@field pgtable string
---@field ias integer
---@field oas integer
---@field banks integer          # banks (MediaTek) or context banks (Arm SMMU v2) the SoC file gives
---@field regions {name: string, base: integer, size: integer}[]   # MediaTek IOVA regions; empty elsewhere
local IommuInstance = {}

--- The commands the driver wrote to this IOMMU's command queue since the last call, oldest first
--- (SMMUv3: CFGI_STE, CFGI_CD, PREFETCH_CFG, TLBI_NH_VA, TLBI_NH_ASID, CMD_SYNC …; the last 4096 are
--- kept); empty for families without a command queue.
---@return {op: string, text: string, dw0: integer, dw1: integer}[]
function IommuInstance:commands() end

---@class Iovad
---@field name string

---@class PgtableOps
---@field name string
---@field cfg table          # the configuration as the format narrowed it
---@field warnings integer       # WARNs the format printed
---@field format string
---@field ttbr integer

---@class Fault
---@field kind "translation"|"permission"
---@field iova integer
---@field write boolean
---@field device string
---@field domain string?        # nil when the device has no domain (a master the IOMMU refused)
---@field line integer
---@field fault_va integer?         # mediatek: REG_MMU0_FAULT_VA
---@field int_id integer?           # mediatek: REG_MMU0_INT_ID
---@field int_state integer?        # mediatek: REG_MMU_FAULT_ST1
---@field pa integer?               # mediatek: the PA the driver decodes
---@field reported_iova integer?    # the iova report_iommu_fault was given
---@field larb integer?             # mediatek
---@field port integer?             # mediatek
---@field layer integer?            # mediatek
---@field protect_pa integer?       # mediatek: where the access was redirected
---@field fsr integer?              # arm-smmu: the context bank's FSR (0x402 translation, 0x408 permission)
---@field far integer?              # arm-smmu: FAR, the faulting address
---@field fsynr0 integer?           # arm-smmu: FSYNR0 (WNR 0x10, PLVL bits 1:0)
---@field cbfrsynra integer?        # arm-smmu: the stream ID
---@field cb integer?               # arm-smmu: the context bank
---@field event string?            # arm-smmu-v3: the event-queue record's name (F_TRANSLATION, F_PERMISSION, C_BAD_STREAMID, …)
---@field id integer?               # arm-smmu-v3: EVT_ID (0x10 translation, 0x13 permission, 0x02 bad stream ID)
---@field sid integer?              # arm-smmu-v3: the stream ID
---@field ssid integer?             # arm-smmu-v3: the substream ID (0: none)
---@field read boolean?             # arm-smmu-v3: RnW
---@field class integer?            # arm-smmu-v3: CLASS (2 = IN, the input address)
---@field raw integer[]?            # arm-smmu-v3: the record's four qwords
---@field handler_result integer?   # report_iommu_fault's result: -38 (-ENOSYS) without a handler; arm-smmu-v3: arm_smmu_handle_event's -95
---@field message string?           # what the driver printed, if anything (lines joined by "\n")

---@class Event
---@field kind "fault"|"stale-translation"|"stale-atc"|"warn"|"p2p-across-groups"|string an event's kind (hazards have kinds of their own); a fault's own kind is in `fault.kind`
---@field line integer
---@field device string?
---@field domain string?
---@field why string
---@field fault Fault? the fault table, as dev:read returns it (kind = "fault" only)
---@field iova integer? stale translations: the address reached
---@field write boolean? stale translations: the access was a write
---@field pa integer? stale translations: the old page the stale entry still reached
---@field unmap_line integer? stale translations: the line of the change no flush followed

---@class IovaRange             # an allocated or reserved range of an Iovad, in pfns
---@field lo integer
---@field hi integer

---@class Soc
---@field name string
---@field description string
soc = {}

---@param name string
---@return Device
function soc.device(name) end
---@return Device[]
function soc.devices() end
---@param name string
---@return IommuInstance
function soc.iommu(name) end
---@return Group[]
function soc.groups() end
---@param name string
---@return {name: string, base: integer, size: integer, iommu_addresses: {device: string, iova: integer, size: integer}[]}|nil
---@return Errno?
---@return string?
function soc.reserved(name) end

---@class IommuLib   # the `iommu` library: a name it does not have is an undefined field
--- The Linux IOMMU core (drivers/iommu/iommu.c) over the SoC's simulated drivers.
iommu = {}

---@param dev Device
---@param type DomainType
---@return Domain|nil domain
---@return Errno? errno
---@return string? why
function iommu.domain_alloc(dev, type) end
---@param domain Domain
---@return true
function iommu.domain_free(domain) end
---@param domain Domain
---@param dev Device
---@return true|nil ok
---@return Errno? errno
---@return string? why
function iommu.attach_device(domain, dev) end
---@param domain Domain
---@param dev Device
---@return true|nil ok
---@return Errno? errno
---@return string? why
function iommu.detach_device(domain, dev) end
---@param domain Domain
---@param group Group
---@return true|nil ok
---@return Errno? errno
---@return string? why
function iommu.attach_group(domain, group) end
---@param domain Domain
---@param group Group
---@return true|nil ok
---@return Errno? errno
---@return string? why
function iommu.detach_group(domain, group) end
--- iommu_group_claim_dma_owner (VFIO's VFIO_GROUP_SET_CONTAINER): -EPERM while owner_cnt is not 0 (a
--- DMA-API driver still bound in the group: "not viable"); the owner is a name ("script" when none is given).
---@param group Group
---@param owner string?
---@return true|nil ok
---@return Errno? errno
---@return string? why
function iommu.group_claim_dma_owner(group, owner) end
---@param group Group
---@return true|nil ok
---@return Errno? errno
---@return string? why
function iommu.group_release_dma_owner(group) end
--- iommu_device_claim_dma_owner (iommufd_device_bind): -ENODEV without a group; a group someone else
--- owns, or one a DMA-API driver still holds, is -EPERM; the same owner again counts one more.
---@param dev Device
---@param owner string
---@return true|nil ok
---@return Errno? errno
---@return string? why
function iommu.device_claim_dma_owner(dev, owner) end
--- iommu_device_release_dma_owner: one claim less; the last returns the group to its default domain.
---@param dev Device
---@return true|nil ok
---@return Errno? errno
---@return string? why
function iommu.device_release_dma_owner(dev) end
--- iommu_device_use_default_domain: a DMA-API driver binds (the driver core's pci_dma_configure); -EBUSY while the group is owned.
---@param dev Device
---@return true|nil ok
---@return Errno? errno
---@return string? why
function iommu.device_use_default_domain(dev) end
--- iommu_device_unuse_default_domain: the DMA-API driver unbinds (owner_cnt − 1). vfio-pci and other driver_managed_dma drivers count neither way.
---@param dev Device
---@return true|nil ok
---@return Errno? errno
---@return string? why
function iommu.device_unuse_default_domain(dev) end
---@param dev Device
---@return Domain?
function iommu.get_domain_for_dev(dev) end
---@param domain Domain
---@param iova Int
---@param pa Int
---@param size Int
---@param prot Prot
---@return true|nil ok
---@return Errno? errno
---@return string? why
function iommu.map(domain, iova, pa, size, prot) end
---@param domain Domain
---@param iova Int
---@param size Int
---@return integer bytes
function iommu.unmap(domain, iova, size) end
---@param domain Domain
---@param iova Int
---@param size Int
---@return integer bytes
function iommu.unmap_fast(domain, iova, size) end
---@param domain Domain
---@return true
function iommu.iotlb_sync(domain) end
---@param domain Domain
---@return true
function iommu.flush_iotlb_all(domain) end
---@param domain Domain
---@param iova Int
---@return integer pa  # 0 when unmapped
function iommu.iova_to_phys(domain, iova) end
---@param dev Device
---@return {type: string, start: integer, length: integer, prot: string}[]
function iommu.get_resv_regions(dev) end
---@param domain Domain
---@param iova Int
---@return {level: integer, index: integer, pte: integer, table_pa: integer}[]
function iommu.walk(domain, iova) end
--- A domain with a DMA cookie WARNs and ignores the handler (Linux 7.0). `iommu` is the device the
--- driver passes: the IOMMU on mediatek, nil on arm-smmu (report_iommu_fault(domain, NULL, ...)).
---@param domain Domain
---@param fn fun(domain: Domain, iommu: IommuInstance?, iova: integer, write: boolean): integer
---@return true|nil ok
---@return Errno? errno
---@return string? why
function iommu.set_fault_handler(domain, fn) end

---@class MemLib   # the `mem` library: a name it does not have is an undefined field
--- Physical memory: first fit from the bottom of DRAM, skipping reserved-memory.
mem = {}
---@param size Int
---@param align Int?
---@return integer|nil pa
---@return Errno? errno
---@return string? why
function mem.alloc(size, align) end
---@param pa Int
---@param size Int
---@return true
function mem.free(pa, size) end
---@param name string
---@return {base: integer, size: integer}|nil
---@return Errno? errno
---@return string? why
function mem.carveout(name) end

---@class SimLib   # the `sim` library: a name it does not have is an undefined field
sim = {}
---@return Event[]
function sim.events() end
--- Advances simulated time (flush-queue timers, rcache depot work).
---@param ms Int
---@return integer now_ms
function sim.advance(ms) end

---@class DmaLib   # the `dma` library: a name it does not have is an undefined field
--- The DMA API (kernel/dma/mapping.c over drivers/iommu/dma-iommu.c): maps into the group's default domain.
dma = {}
---@param dev Device
---@param bits Int
---@param which "both"|"streaming"|"coherent"?
---@return true|nil ok
---@return Errno? errno
---@return string? why
function dma.set_mask(dev, bits, which) end
---@param dev Device
---@param size Int
---@return integer|nil iova
---@return integer|Errno pa_or_errno
---@return string? why
function dma.alloc_coherent(dev, size) end
---@param dev Device
---@param size Int
---@param iova Int
---@return true
function dma.free_coherent(dev, size, iova) end
---@param dev Device
---@param pa Int
---@param size Int
---@param dir DmaDir?
---@return integer|nil iova
---@return Errno? errno
---@return string? why
function dma.map_single(dev, pa, size, dir) end
---@param dev Device
---@param iova Int
---@param size Int
---@param dir DmaDir?
---@return true
function dma.unmap_single(dev, iova, size, dir) end
---@param dev Device
---@param sg {[1]: Int, [2]: Int}[]   # {{pa, len}, …}
---@param dir DmaDir?
---@return integer|nil iova
---@return integer|Errno nents_or_errno
---@return string? why
function dma.map_sg(dev, sg, dir) end

---@class IovaLib   # the `iova` library: a name it does not have is an undefined field
--- The kernel's IOVA allocator itself (drivers/iommu/iova.c).
iova = {}
---@param granule Int
---@param start_pfn Int
---@return Iovad
function iova.init_domain(granule, start_pfn) end
---@param iovad Iovad
---@param size Int       # in pages
---@param limit_pfn Int
---@param size_aligned boolean?
---@return integer? pfn
function iova.alloc(iovad, size, limit_pfn, size_aligned) end
---@param iovad Iovad
---@param pfn Int
---@return true
function iova.free(iovad, pfn) end
---@param iovad Iovad
---@param lo Int
---@param hi Int
---@return {lo: integer, hi: integer}?
function iova.reserve(iovad, lo, hi) end
---@param iovad Iovad
---@param size Int
---@param limit_pfn Int
---@param flush_rcache boolean?
---@return integer pfn   # 0 on failure
function iova.alloc_fast(iovad, size, limit_pfn, flush_rcache) end
---@param iovad Iovad
---@param pfn Int
---@param size Int
---@return true
function iova.free_fast(iovad, pfn, size) end
---@param iovad Iovad
---@param pfn Int
---@return {lo: integer, hi: integer}?
function iova.find(iovad, pfn) end
---@param iovad Iovad
---@return true
function iova.flush_cpu_rcache(iovad) end
---@param iovad Iovad
---@return true
function iova.flush_global_rcache(iovad) end
---@param iovad Iovad
---@return {lo: integer, hi: integer}[]
function iova.dump(iovad) end
---@param iovad Iovad
---@return {cached_node: IovaRange|"anchor", cached32_node: IovaRange|"anchor", max32_alloc_size: integer, dma_32bit_pfn: integer}
function iova.state(iovad) end

---@class ExpectLib   # the `expect` library: a name it does not have is an undefined field
--- Expectations: each is a row in the report; a failed one fails the scenario, the script goes on.
expect = {}
---@param v any
---@param msg string?
---@return boolean passed
function expect.ok(v, msg, ...) end
---@param actual any
---@param expected any
---@param msg string?
---@return boolean passed
function expect.eq(actual, expected, msg) end
---@param err Errno?          # the second result of a failed call
---@param name Errno
---@param msg string?
---@return boolean passed
function expect.errno(err, name, msg) end
---@param addr integer
---@param size integer
---@param window Window
---@param msg string?
---@return boolean passed
function expect.inside(addr, size, window, msg) end
---@param addr integer
---@param size integer
---@param window Window
---@param msg string?
---@return boolean passed
function expect.outside(addr, size, window, msg) end
---@param result any          # the first result of dev:read / dev:write
---@param fault Fault?        # the second
---@param msg string?
---@return boolean passed
function expect.fault(result, fault, msg) end

---@class PgtableLib   # the `pgtable` library: a name it does not have is an undefined field
--- A page-table format itself (drivers/iommu/io-pgtable-arm-v7s.c, io-pgtable-arm.c).
pgtable = {}
---@param fmt "arm-v7s"|"arm-lpae-s1"|"arm-lpae-s2"
---@param cfg {ias: integer, oas: integer, pgsize_bitmap: integer?, quirks: string[]?}
---@return PgtableOps|nil ops
---@return Errno? errno
---@return string? why
function pgtable.alloc(fmt, cfg) end
---@param ops PgtableOps
---@param iova Int
---@param pa Int
---@param pgsize Int
---@param pgcount Int
---@param prot Prot
---@return integer mapped
---@return Errno? errno       # nil on success
---@return string? why
function pgtable.map_pages(ops, iova, pa, pgsize, pgcount, prot) end
---@param ops PgtableOps
---@param iova Int
---@param pgsize Int
---@param pgcount Int
---@return integer bytes
function pgtable.unmap_pages(ops, iova, pgsize, pgcount) end
---@param ops PgtableOps
---@param iova Int
---@return integer pa
function pgtable.iova_to_phys(ops, iova) end
---@param ops PgtableOps
---@param iova Int
---@return {level: integer, index: integer, pte: integer, table_pa: integer, fields: string}[]   # fields: the descriptor decoded
function pgtable.walk(ops, iova) end

---@class ReportLib   # the `report` library: a name it does not have is an undefined field
--- Sections and tables added to the scenario's report.
report = {}
---@param text string
function report.note(text) end
---@param title string
function report.section(title) end
---@param domain Domain
function report.mappings(domain) end
--- Every descriptor on the way to each leaf: level, index, table address, raw value, decoded fields, range.
---@param target Domain|PgtableOps
---@param iova Int?
---@param size Int?
function report.pagetable(target, iova, size) end

--- The sandbox's own require: loads lua/<modname, dots as slashes>.lua once and returns what it returned
--- (there is no `package` library; a module cannot be loaded from elsewhere).
---@param modname string
---@return any
function require(modname) end

---@type table<string, any>    # the scenario's `params:`
params = {}

SZ_4K, SZ_64K, SZ_1M, SZ_2M, SZ_16M, SZ_1G = 0x1000, 0x10000, 0x100000, 0x200000, 0x1000000, 0x40000000
KiB, MiB, GiB = 1024, 1024 * 1024, 1024 * 1024 * 1024
