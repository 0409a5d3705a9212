using System.Text.Json.Nodes;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Drivers;

/// <summary>
/// One IOMMU driver family as a plug-in: what its SoC YAML accepts (type names, page-table formats,
/// flag names, defaults, how its masters are named), the family-specific keys it reads into the
/// instance, and the driver it creates. Each family lives in its own folder, Engine/Drivers/FAMILY/;
/// <see cref="Families"/> is the only list of them.
/// </summary>
public abstract class IommuFamily
{
    public abstract string Name { get; }
    public abstract IReadOnlyList<string> Types { get; }
    public abstract IReadOnlyList<string> Pgtables { get; }
    public abstract IReadOnlyList<string> Flags { get; }
    public abstract int MaxBanks { get; }
    /// <summary>The number of banks (MediaTek banks, SMMU context banks) when the YAML gives none.</summary>
    public virtual int DefaultBanks => 1;
    /// <summary>The report's "banks" cell for an instance of this family.</summary>
    public virtual string DescribeBanks(IommuInstance i) => i.Banks.ToString(System.Globalization.CultureInfo.InvariantCulture);
    /// <summary>The report's "regions" cell, one line each (user names unescaped; the report escapes them); none: "—".</summary>
    public virtual IEnumerable<string> DescribeRegions(IommuInstance i) => [];
    /// <summary>Lines the report's "flags" cell adds after the flags.</summary>
    public virtual IEnumerable<string> FlagNotes(IommuInstance i) => [];
    /// <summary>The instance's IOVA regions (iommu.regions in Lua); none for families without them.</summary>
    public virtual IReadOnlyList<IovaRegion> RegionsOf(IommuInstance i) => [];

    /// <summary>The IOMMU keys this family reads (the common ones and its own); any other is refused (SE1003).</summary>
    public virtual IReadOnlyList<string> IommuKeys => YamlKeys.IommuCommon;
    /// <summary>What "banks" counts on this family (the schema's description).</summary>
    public virtual string BanksMeaning => "banks";
    /// <summary>The keys of a device's ids entry that name a master on this family (besides "iommu").</summary>
    public abstract IReadOnlyList<string> DeviceIdKeys { get; }
    /// <summary>Which of <see cref="DeviceIdKeys"/> an entry must give.</summary>
    public virtual IReadOnlyList<string> DeviceIdRequired => DeviceIdKeys;

    /// <summary>JSON Schema of the IOMMU keys only this family has.</summary>
    public virtual IEnumerable<KeyValuePair<string, JsonNode>> SchemaIommuProperties() => [];
    /// <summary>JSON Schema of <see cref="DeviceIdKeys"/>.</summary>
    public abstract IEnumerable<KeyValuePair<string, JsonNode>> SchemaDeviceIdProperties();
    /// <summary>Definitions only this family's keys refer to (e.g. MediaTek's IOVA region).</summary>
    public virtual IEnumerable<KeyValuePair<string, JsonObject>> SchemaDefinitions() => [];
    /// <summary>The keys of each of <see cref="SchemaDefinitions"/> (the loader reads them with these lists).</summary>
    public virtual IEnumerable<KeyValuePair<string, IReadOnlyList<string>>> SchemaDefinitionKeys => [];
    public abstract int DefaultIas(IReadOnlySet<string> flags);
    public abstract int DefaultOas(IReadOnlySet<string> flags);
    public abstract void CheckWidths(IReadOnlySet<string> flags, int ias, int oas, SourceSpan iasAt, SourceSpan oasAt);
    internal abstract DeviceId ReadId(MappingReader id, string iommu);

    /// <summary>
    /// The driver's of_xlate for a PCI function reached through a host bridge's iommu-map (one cell:
    /// the ID the map gave): the family's <see cref="DeviceId"/>, or null when the family takes no PCI
    /// masters that way (a map naming its instance is then refused at load). <paramref name="ats"/>: the
    /// function has the ATS capability and its host bridge says ats-supported (IOMMU_FWSPEC_PCI_RC_ATS).
    /// </summary>
    public virtual DeviceId? PciId(string iommu, uint id, bool ats) => null;

    /// <summary>The driver's device_group asks pci_device_group for PCI masters (so ACS and DMA aliases decide their groups).</summary>
    public virtual bool UsesPciDeviceGroup => false;

    /// <summary>The device-tree compatibles this family's driver matches, each with what it fills in (the catalogue).</summary>
    public virtual IReadOnlyList<CompatibleEntry> Compatibles => [];

    /// <summary>
    /// Where on the hardware a key of <see cref="CompatibleEntry.Required"/> comes from (the ID register
    /// that says it): the error for a SoC file that leaves it out names it.
    /// </summary>
    public virtual string RequiredSource(string key) => "not in the platform data";

    /// <summary>The schema's description of the common `banks` key for this family: what its banks are, or that it takes none.</summary>
    public virtual string BanksSchemaText => IommuKeys.Contains("banks")
        ? $"{Name}: {BanksMeaning}, at most {MaxBanks}, default {DefaultBanks}"
        : $"{Name}: not accepted ({BanksMeaning})";

    /// <summary>docs/catalogue.md's "IOVA regions" cell for a catalogue entry that lists none.</summary>
    public virtual string CatalogueRegionsWhenNone => "—";

    // ---- device tree (`scenario import dtb`): what the family's driver reads from a board's tree

    /// <summary>
    /// Linux's iommu_ops.of_xlate: the master ID one IOMMU specifier names — <paramref name="args"/> are
    /// the cells after the phandle (#iommu-cells of them), <paramref name="iommu"/> the IOMMU's node,
    /// <paramref name="name"/> the instance's name in the SoC file — or null when the driver refuses the
    /// specifier (its of_xlate fails). A family without device-tree support refuses every one.
    /// </summary>
    public virtual DeviceId? OfXlate(ReadOnlySpan<uint> args, IDtNode iommu, string name) => null;

    /// <summary>
    /// What the tree says of one instance matched by <paramref name="entry"/> (one of <see cref="Compatibles"/>):
    /// the keys its line gets beyond name and compatible, each with why when the tree does not really
    /// give it. By default every key of <see cref="CompatibleEntry.Required"/> is written as 0 with a
    /// warning to correct it.
    /// </summary>
    public virtual DtInstance FromTree(IDtNode node, CompatibleEntry entry, IDtTree tree) =>
        new(entry.Required.Select(NotInTree).ToList());

    /// <summary>A key the tree does not give at all: 0, to be corrected.</summary>
    protected static DtKey NotInTree(string key) => new(key, "0", "is not in the device tree: 0 written; correct it");

    /// <summary>A master ID as one entry of a device's `ids` in the SoC file (a YAML flow mapping), the inverse of the loader's reading of it.</summary>
    public abstract string WriteId(DeviceId id);

    /// <summary>The platform changes only this family can make to give a device a group of its own (`scenario advise`'s own-bank, own-region, own-stream).</summary>
    public virtual IReadOnlyList<SocEdit> SocEdits => [];

    /// <summary>Reads the keys only this family has (after the common ones) into the instance.</summary>
    internal virtual IommuInstance ReadSpecific(MappingReader iommu, IommuInstance inst) => inst;

    /// <summary>Checks across the SoC's instances once all are read (e.g. references between them).</summary>
    internal virtual void CheckSoc(IReadOnlyList<IommuInstance> iommus) { }

    /// <summary>The driver every instance of this family in one SoC shares (one per SoC, as one kernel module is).</summary>
    public abstract IIommuDriver CreateDriver(IommuCore core);
}
