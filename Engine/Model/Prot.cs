namespace ScenarioEngine.Model;

/// <summary>
/// IOMMU_* protection flags (include/linux/iommu.h, Linux 7.0): READ=1, WRITE=2, CACHE=4, NOEXEC=8,
/// MMIO=0x10, PRIV=0x20. Scripts write them as "r", "w", "rw" optionally followed by "|cache",
/// "|noexec", "|mmio", "|priv" (docs/lua-api.md).
/// </summary>
[Flags]
public enum Prot
{
    None = 0,
    Read = 1,
    Write = 2,
    Cache = 4,
    NoExec = 8,
    Mmio = 0x10,
    Priv = 0x20,
}

public static class ProtText
{
    public static bool TryParse(string text, out Prot prot)
    {
        switch (text)
        {
            case "rw": prot = Prot.Read | Prot.Write; return true;
            case "r": prot = Prot.Read; return true;
            case "w": prot = Prot.Write; return true;
        }
        prot = Prot.None;
        var parts = text.Split('|');
        switch (parts[0].Trim())
        {
            case "r": prot = Prot.Read; break;
            case "w": prot = Prot.Write; break;
            case "rw": prot = Prot.Read | Prot.Write; break;
            default: return false;
        }
        foreach (var raw in parts.Skip(1))
        {
            switch (raw.Trim())
            {
                case "cache": prot |= Prot.Cache; break;
                case "noexec": prot |= Prot.NoExec; break;
                case "mmio": prot |= Prot.Mmio; break;
                case "priv": prot |= Prot.Priv; break;
                default: return false;
            }
        }
        return true;
    }

    public static string Format(Prot prot)
    {
        var s = (prot & (Prot.Read | Prot.Write)) switch
        {
            Prot.Read => "r",
            Prot.Write => "w",
            Prot.Read | Prot.Write => "rw",
            _ => "-",
        };
        if (prot.HasFlag(Prot.Cache)) s += "|cache";
        if (prot.HasFlag(Prot.NoExec)) s += "|noexec";
        if (prot.HasFlag(Prot.Mmio)) s += "|mmio";
        if (prot.HasFlag(Prot.Priv)) s += "|priv";
        return s;
    }
}
