using ScenarioEngine.Drivers.ArmSmmu;
using ScenarioEngine.Drivers.ArmSmmuV3;
using ScenarioEngine.Drivers.Mediatek;

namespace ScenarioEngine.Drivers;

/// <summary>
/// The IOMMU driver families the engine models: the only list of them. A new family is one folder
/// under Engine/Drivers/ and one entry here (docs/architecture.md, "Adding a family").
/// </summary>
public static class Families
{
    private static readonly IommuFamily[] Modelled = [new MediatekFamily(), new ArmSmmuFamily(), new SmmuV3Family()];
    private static readonly AsyncLocal<IommuFamily[]?> Plugged = new();

    /// <summary>The modelled families, then any plugged in on the calling flow (<see cref="Plug"/>).</summary>
    public static IReadOnlyList<IommuFamily> All => Plugged.Value is { } extra ? [.. Modelled, .. extra] : Modelled;

    /// <summary>Whether a family is plugged in on the calling flow (what a SoC file means then depends on the flow).</summary>
    public static bool AnyPlugged => Plugged.Value is not null;

    /// <summary>
    /// Adds a family to the list for the calling flow (and the work it starts) until disposed: how a
    /// test plugs in a family of its own without touching the engine. A name already taken is refused.
    /// </summary>
    public static IDisposable Plug(IommuFamily family)
    {
        if (Find(family.Name) is not null) throw new ArgumentException($"a family named '{family.Name}' is already in the list", nameof(family));
        var before = Plugged.Value;
        Plugged.Value = [.. before ?? [], family];
        return new Unplug(before);
    }

    private sealed class Unplug(IommuFamily[]? before) : IDisposable
    {
        public void Dispose() => Plugged.Value = before;
    }

    /// <summary>Families planned but not modelled yet: loading one is SE1013.</summary>
    public static IReadOnlyList<string> Planned { get; } = ["apple-dart"];

    public static IommuFamily? Find(string name) => All.FirstOrDefault(f => f.Name == name);

    /// <summary>The family and catalogue entry of a device-tree compatible, or null.</summary>
    public static (IommuFamily Family, CompatibleEntry Entry)? FindCompatible(string compatible)
    {
        foreach (var f in All)
            foreach (var e in f.Compatibles)
                if (e.Compatible == compatible) return (f, e);
        return null;
    }

    /// <summary>Every compatible of every family, in family order.</summary>
    public static IEnumerable<CompatibleEntry> AllCompatibles => All.SelectMany(f => f.Compatibles);
}
