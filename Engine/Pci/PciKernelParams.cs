namespace ScenarioEngine.Pci;

/// <summary>
/// The <c>pci=</c> boot parameter as pci_setup reads it (drivers/pci/pci.c, Linux 7.0): options
/// separated by ',' (so a device list inside an option separates its entries with ';'). Modelled
/// options: <c>disable_acs_redir=</c> and <c>config_acs=</c> (kept as text and parsed per device by
/// pci_enable_acs, as the kernel does: a malformed list is the kernel's message at boot, not an
/// error here) and <c>noats</c> (pcie_ats_disabled: no function's ATS capability is used, and
/// pci_std_enable_acs adds Translation Blocking). Any other option of pci_setup is refused, since
/// the engine would silently not model it.
/// </summary>
public sealed record PciKernelParams(string? DisableAcsRedir, string? ConfigAcs, bool NoAts)
{
    public static PciKernelParams None { get; } = new(null, null, false);

    /// <summary>pci_setup's split; null and a reason for an option not modelled.</summary>
    public static PciKernelParams? Parse(string? text, out string? error)
    {
        error = null;
        if (string.IsNullOrEmpty(text)) return None;
        string? redir = null, config = null;
        bool noats = false;
        foreach (var option in text.Split(','))
        {
            if (option.Length == 0) continue;
            if (option.StartsWith("disable_acs_redir=", StringComparison.Ordinal)) redir = option["disable_acs_redir=".Length..];
            else if (option.StartsWith("config_acs=", StringComparison.Ordinal)) config = option["config_acs=".Length..];
            else if (option.StartsWith("noats", StringComparison.Ordinal)) noats = true; // strncmp(str, "noats", 5)
            else
            {
                error = $"pci option '{option}' is not modelled (modelled: disable_acs_redir=, config_acs=, noats)";
                return null;
            }
        }
        return new PciKernelParams(redir, config, noats);
    }

    /// <summary>The parameter as the Kernel line of a report prints it; empty when none is given.</summary>
    public override string ToString()
    {
        var parts = new List<string>();
        if (DisableAcsRedir is not null) parts.Add("disable_acs_redir=" + DisableAcsRedir);
        if (ConfigAcs is not null) parts.Add("config_acs=" + ConfigAcs);
        if (NoAts) parts.Add("noats");
        return string.Join(",", parts);
    }
}
