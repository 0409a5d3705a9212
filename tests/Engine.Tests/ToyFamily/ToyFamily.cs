using System.Text.Json.Nodes;
using ScenarioEngine.Drivers;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;
using ScenarioEngine.PageTables;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Tests.ToyFamily;

/// <summary>
/// A minimal IOMMU family that lives only in the tests: the proof that a family is one folder and one
/// entry in Engine/Drivers/Families.cs (here plugged in with Families.Plug). Not a model of any
/// hardware: one group per master, one LPAE stage-1 table per domain, faults on unmapped IOVAs.
/// docs/architecture.md, "Adding a family", walks through the same steps.
/// </summary>
internal sealed class ToyFamily : IommuFamily
{
    public override string Name => "toy";
    public override IReadOnlyList<string> Types { get; } = ["toy"];
    public override IReadOnlyList<string> Pgtables { get; } = [IoPgtableFormat.ArmLpaeS1.Name];
    public override IReadOnlyList<string> Flags { get; } = [];
    public override int MaxBanks => 1;
    public override IReadOnlyList<string> IommuKeys { get; } = ["name", "driver", "type", "pgtable", "ias", "oas"];
    public override IReadOnlyList<string> DeviceIdKeys { get; } = ["stream"];
    public override IEnumerable<KeyValuePair<string, JsonNode>> SchemaDeviceIdProperties() => [new("stream", SchemaNodes.Int(0, 255))];
    public override string DescribeBanks(IommuInstance i) => "none";
    public override int DefaultIas(IReadOnlySet<string> flags) => 32;
    public override int DefaultOas(IReadOnlySet<string> flags) => 40;
    public override void CheckWidths(IReadOnlySet<string> flags, int ias, int oas, SourceSpan iasAt, SourceSpan oasAt) { }

    /// <summary>Masters are named by a stream number.</summary>
    internal override DeviceId ReadId(MappingReader id, string iommu) =>
        new ToyStreamId(iommu, MappingReader.AsInt(id.Required("stream"), "stream", 0, 255));

    /// <summary>An ids entry as the SoC file writes it.</summary>
    public override string WriteId(DeviceId id) => $"{{ iommu: {id.Iommu}, stream: {((ToyStreamId)id).Stream} }}";

    public override IIommuDriver CreateDriver(IommuCore core) => new ToyIommu(core);
}

/// <summary>A toy master's specifier: a stream number.</summary>
internal sealed record ToyStreamId(string Iommu, int Stream) : DeviceId(Iommu);
