namespace ScenarioEngine.Scripting;

/// <summary>
/// The objects a script holds handles to. Every handle is an empty proxy table the prelude creates
/// once per object and binds to (kind, id) on the host side; the host resolves any handle argument by
/// the table's identity, so one convention serves every object and a script can neither forge nor
/// mutate a handle.
/// </summary>
internal enum HandleKind
{
    Device,
    Group,
    Domain,
    Iommu,
    Iovad,
    Pgtable,
}

internal static class HandleKinds
{
    /// <summary>The name the prelude and the misuse messages use ("device", "pgtable").</summary>
    public static string Name(this HandleKind k) => k switch
    {
        HandleKind.Device => "device",
        HandleKind.Group => "group",
        HandleKind.Domain => "domain",
        HandleKind.Iommu => "iommu",
        HandleKind.Iovad => "iovad",
        _ => "pgtable",
    };

    public static bool TryParse(string? name, out HandleKind kind)
    {
        foreach (var k in Enum.GetValues<HandleKind>())
            if (k.Name() == name) { kind = k; return true; }
        kind = default;
        return false;
    }
}
