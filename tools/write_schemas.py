#!/usr/bin/env python3
"""Writes schema/soc.schema.json and schema/scenario.schema.json (JSON Schema draft 2020-12).

The schemas are committed; tests/Scenarios.Tests/SchemaTests.cs checks them against the loader
(Engine/Config/YamlKeys.cs, the driver catalogue's enums) and validates every shipped YAML file, so
edit this script, rerun it, and let the tests say what else must change.
"""
import json, os

NUM = {"anyOf": [
    {"type": "integer", "minimum": 0},
    {"type": "string", "pattern": r"^(0[xX][0-9a-fA-F](_?[0-9a-fA-F])*|[0-9](_?[0-9])*) *(KiB|MiB|GiB|TiB)?$"}],
    "description": "decimal, 0x hex, '_' between digits, optional IEC suffix: 4096, 0x6000_0000, 16MiB"}

def num(desc): return {"$ref": "#/definitions/number", "description": desc}
def obj(desc, props, required):
    return {"type": "object", "description": desc, "additionalProperties": False,
            "required": required, "properties": props}

MTK_FLAGS = ["has-4gb-mode", "has-bclk", "has-vld-pa-rng", "reset-axi", "out-order-wr-en", "wr-throt-en",
    "has-sub-comm-2bits", "has-sub-comm-3bits", "int-id-port-width-6", "has-legacy-ivrp-paddr",
    "iova-34-en", "share-pgtable", "dcm-disable", "std-axi-mode", "pm-clk-ao", "ifa-iommu-pcie-support",
    "pgtable-pa-35-en", "tf-port-to-addr-mt8173", "cfg-ifa-master-in-atf", "dl-with-multi-larb"]
PORTS = {"anyOf": [{"enum": ["all"]}, {"type": "array", "items": {"anyOf": [
    {"type": "integer", "minimum": 0, "maximum": 31},
    {"type": "string", "pattern": r"^[0-9]+ *- *[0-9]+$"}]}}],
    "description": "'all', or a list of ports (0-31) and ranges like 0-7"}

soc_defs = {
    "number": NUM,
    "memory": obj("A DRAM bank.", {"name": {"type": "string"}, "base": num("physical base"), "size": num("bytes, not 0")}, ["name", "base", "size"]),
    "iommu-address": obj("An iommu-addresses entry of a reserved-memory node (reserved-memory.yaml binding).",
        {"device": {"type": "string", "description": "a device of this SoC"}, "iova": num("IOVA the device expects"), "size": num("bytes")},
        ["device", "iova", "size"]),
    "reserved-memory": obj("A reserved-memory node (a carve-out the page allocator skips; without base, an IOVA-only reservation).",
        {"name": {"type": "string"}, "base": num("physical base (reg); omit it for a node with no reg"), "size": num("bytes, not 0"),
         "iommu-addresses": {"type": "array", "items": {"$ref": "#/definitions/iommu-address"}}}, ["name", "size"]),
    "region": obj("A MediaTek IOVA region (mtk_iommu_iova_region).", {"name": {"type": "string"}, "base": num("first IOVA"), "size": num("bytes, not 0")}, ["name", "base", "size"]),
    "iotlb": obj("The IOTLB geometry: each bank's on mediatek, the one TLB all context banks share on arm-smmu (the hardware's is not public; the default is an assumption, docs/modelled.md).",
        {"entries": {"type": "integer", "minimum": 1, "maximum": 4096}, "ways": {"type": "integer", "minimum": 1, "maximum": 4096}}, []),
    "iommu": obj("An IOMMU instance and its platform data. Each driver takes only its own values and keys: "
                 "mediatek (types mm, infra, apu; arm-v7s; up to 5 banks) uses every key; arm-smmu (type smmu-v2; arm-lpae-s1; "
                 "banks are context banks) takes only name, driver, type, pgtable, ias, oas, banks, iotlb, smrs and s2-banks.", {
        "name": {"type": "string"},
        "driver": {"enum": ["mediatek", "arm-smmu"], "description": "the driver family (modelled: mediatek, arm-smmu)"},
        "type": {"enum": ["mm", "infra", "apu", "smmu-v2"], "description": "MediaTek: MTK_IOMMU_TYPE_MM / _INFRA / APU; arm-smmu: smmu-v2"},
        "pgtable": {"enum": ["arm-v7s", "arm-lpae-s1"], "description": "the io-pgtable format the driver uses (mediatek: arm-v7s; arm-smmu: arm-lpae-s1)"},
        "ias": {"type": "integer", "minimum": 32, "maximum": 48, "description": "input (IOVA) address bits"},
        "oas": {"type": "integer", "minimum": 32, "maximum": 48, "description": "output (PA) address bits"},
        "banks": {"type": "integer", "minimum": 1, "maximum": 128, "description": "mediatek: banks, MTK_IOMMU_BANK_MAX is 5; arm-smmu: context banks (NUMCB), ARM_SMMU_MAX_CBS is 128, default 8"},
        "banks-enabled": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 4}},
        "bank-ports": {"type": "object", "description": "bank number → ports (bank_portmsk)", "patternProperties": {"^[0-4]$": PORTS}, "additionalProperties": False},
        "regions": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/region"}},
        "region-ports": {"type": "object", "description": "region name or index → {larbN: ports} (iova_region_larb_msk)",
            "additionalProperties": {"type": "object", "patternProperties": {"^larb([0-9]|[12][0-9]|3[01])$": PORTS}, "additionalProperties": False}},
        "flags": {"type": "array", "uniqueItems": True, "items": {"enum": MTK_FLAGS}, "description": "platform-data flags (MTK_IOMMU_* in mtk_iommu.c), lowercase with '-'"},
        "shares-pgtable-with": {"type": "array", "items": {"type": "string"}},
        "iotlb": {"$ref": "#/definitions/iotlb"},
        "larbid-remap": {"type": "array", "items": {"type": "array", "items": {"type": "integer", "minimum": 0, "maximum": 31}}},
        "smrs": {"type": "integer", "minimum": 1, "maximum": 128, "description": "arm-smmu: stream-match registers (SMMU_IDR0.NUMSMRG), default and most 128 (ARM_SMMU_MAX_SMRS)"},
        "s2-banks": {"type": "integer", "minimum": 0, "maximum": 128, "description": "arm-smmu: stage-2-only context banks (SMMU_IDR1.NUMS2CB), at most banks; stage-1 contexts start after them; default 0"},
    }, ["name", "driver"]),
    "device-id": obj("One IOMMU specifier of the device (MediaTek: larb and port; Arm SMMU: stream).",
        {"iommu": {"type": "string"}, "larb": {"type": "integer", "minimum": 0, "maximum": 31}, "port": {"type": "integer", "minimum": 0, "maximum": 31},
         "stream": num("Arm SMMU stream ID, 0 to 0xffff"),
         "mask": num("Arm SMMU SMR mask (the specifier's second cell), 0 to 0xffff; default 0")}, ["iommu"]),
    "boot-access": obj("One access the firmware makes at boot.", {"iova": num("inside the window"), "size": num("bytes (default 4)"), "write": {"type": "boolean"}}, ["iova"]),
    "firmware": obj("A firmware window linked at a fixed IOVA.", {"name": {"type": "string"}, "iova": num("linked address"), "size": num("bytes, not 0"),
        "boot": {"type": "array", "items": {"$ref": "#/definitions/boot-access"}}}, ["name", "iova", "size"]),
    "device": obj("A DMA master.", {"name": {"type": "string"}, "ids": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/device-id"}},
        "bus": {"enum": ["platform", "pci"]}, "dma-mask": {"type": "integer", "minimum": 1, "maximum": 64, "description": "bits (default 32)"},
        "driver-bound": {"type": "boolean", "description": "a DMA-API driver is bound (counts in owner_cnt); default true"},
        "memory-region": {"type": "array", "items": {"type": "string"}, "description": "the DT memory-region phandles: reserved-memory node names; of_iommu_get_resv_regions reads iommu-addresses only from these"},
        "firmware": {"type": "array", "items": {"$ref": "#/definitions/firmware"}}}, ["name", "ids"]),
}
# Each driver family accepts only its own values and keys (Engine/Config/*Family.cs): one branch each.
MTK_ONLY = ["banks-enabled", "bank-ports", "regions", "region-ports", "flags", "shares-pgtable-with", "larbid-remap"]
soc_defs["iommu"]["anyOf"] = [
    {"properties": {"driver": {"enum": ["mediatek"]}, "type": {"enum": ["mm", "infra", "apu"]}, "pgtable": {"enum": ["arm-v7s"]},
                    "banks": {"maximum": 5}}, "not": {"anyOf": [{"required": ["smrs"]}, {"required": ["s2-banks"]}]}},
    {"properties": {"driver": {"enum": ["arm-smmu"]}, "type": {"enum": ["smmu-v2"]}, "pgtable": {"enum": ["arm-lpae-s1"]}},
     "not": {"anyOf": [{"required": [k]} for k in MTK_ONLY]}},
]
soc_defs["device-id"]["anyOf"] = [{"required": ["larb", "port"], "not": {"anyOf": [{"required": ["stream"]}, {"required": ["mask"]}]}},
                                  {"required": ["stream"], "not": {"anyOf": [{"required": ["larb"]}, {"required": ["port"]}]}}]

soc_root = obj("An SoC: memory, IOMMU instances, masters.", {
    "soc": {"type": "string", "description": "the SoC's name"}, "description": {"type": "string"},
    "memory": {"type": "array", "minItems": 1, "items": {"$ref": "#/definitions/memory"}},
    "reserved-memory": {"type": "array", "items": {"$ref": "#/definitions/reserved-memory"}},
    "iommus": {"type": "array", "items": {"$ref": "#/definitions/iommu"}},
    "devices": {"type": "array", "items": {"$ref": "#/definitions/device"}}}, ["soc", "memory"])
soc_defs["soc"] = soc_root

def schema(id_, title, root, defs):
    s = {"$schema": "https://json-schema.org/draft/2020-12/schema", "title": title}
    s.update(root)
    s["definitions"] = defs
    return s

scen_defs = dict(soc_defs)
scen_defs["kernel"] = obj("Boot parameters (Documentation/admin-guide/kernel-parameters.txt).",
    {"iommu.strict": {"type": "boolean", "description": "default true"}, "iommu.passthrough": {"type": "boolean"},
     "iommu.forcedac": {"type": "boolean"},
     "fixes": {"type": "array", "description": "upstream fixes applied on top of Linux 7.0.0 as released (commit ids, 12+ hex digits); known: 6fc7e8a3b811 (iommu: Fix loss of errno on map failure for classic ops)",
               "items": {"type": "string", "pattern": "^[0-9a-fA-F]{12,40}$"}}}, [])
scen_root = obj("A scenario: an SoC, boot knobs and a Lua script.", {
    "scenario": {"type": "string", "description": "the title (the report's heading)"},
    "description": {"type": "string"},
    "soc": {"anyOf": [{"type": "string", "description": "path of an SoC file, relative to this file"}, {"$ref": "#/definitions/soc"}]},
    "kernel": {"$ref": "#/definitions/kernel"},
    "script": {"type": "string", "description": "a Lua file, relative to this file"},
    "lua": {"type": "string", "description": "inline Lua (use a block scalar: lua: |)"},
    "params": {"type": "object", "description": "values the script reads as params.NAME"},
    "pictures": {"type": "array", "uniqueItems": True, "items": {"enum": ["topology", "iova-maps"]},
                 "description": "the pictures the report draws (Mermaid): both when absent, [] for none"}}, ["scenario", "soc"])
scen_defs["scenario"] = scen_root
root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "schema")
for name, s in [("soc", schema("soc.schema.json", "ScenarioEngine SoC file", soc_root, soc_defs)),
                ("scenario", schema("scenario.schema.json", "ScenarioEngine scenario file", {**scen_root, "oneOf": [{"required": ["script"]}, {"required": ["lua"]}]}, scen_defs))]:
    with open(os.path.join(root, name + ".schema.json"), "w") as f:
        json.dump(s, f, indent=2, sort_keys=False)
        f.write("\n")
