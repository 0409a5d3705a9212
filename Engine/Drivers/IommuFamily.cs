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

    /// <summary>The IOMMU keys this family reads; any other key of YamlKeys.Iommu is refused (SE1003).</summary>
    public virtual IReadOnlyList<string> IommuKeys => YamlKeys.Iommu;
    public abstract int DefaultIas(IReadOnlySet<string> flags);
    public abstract int DefaultOas(IReadOnlySet<string> flags);
    public abstract void CheckWidths(IReadOnlySet<string> flags, int ias, int oas, SourceSpan iasAt, SourceSpan oasAt);
    internal abstract DeviceId ReadId(MappingReader id, string iommu);

    /// <summary>Reads the keys only this family has (after the common ones) into the instance.</summary>
    internal virtual IommuInstance ReadSpecific(MappingReader iommu, IommuInstance inst) => inst;

    /// <summary>Checks across the SoC's instances once all are read (e.g. references between them).</summary>
    internal virtual void CheckSoc(IReadOnlyList<IommuInstance> iommus) { }

    /// <summary>The driver every instance of this family in one SoC shares (one per SoC, as one kernel module is).</summary>
    public abstract IIommuDriver CreateDriver(IommuCore core);
}
