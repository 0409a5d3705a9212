using System.Globalization;
using ScenarioEngine.Record;

namespace ScenarioEngine.Advice;

/// <summary>One replayed boot access of the window: reached the firmware's pages, landed elsewhere, or faulted.</summary>
public sealed record BootAccessSeen(ulong Iova, string Outcome, ulong? Pa, ulong? Expected);

/// <summary>
/// What a strategy's run showed, read back from its log: the steps of the "strategy" section, and the
/// notes <see cref="ProbeScript"/> wrote (<see cref="ProbeScript.Prefix"/>). Plain facts; the verdict
/// is <see cref="Classifier"/>'s.
/// </summary>
public sealed class Observations
{
    public List<Step> StrategySteps { get; } = [];
    public List<BootAccessSeen> Boot { get; } = [];
    /// <summary>The boot accesses replayed after the driver's teardown.</summary>
    public List<BootAccessSeen> After { get; } = [];
    /// <summary>The type of the device's domain after the strategy ("dma", "unmanaged", "identity" …; "none").</summary>
    public string? Domain { get; private set; }
    /// <summary>The type of the device's reserved region covering the window's first byte, if one does.</summary>
    public string? Resv { get; private set; }
    /// <summary>Where dma_alloc_coherent put the buffer (dma-api).</summary>
    public ulong? DmaIova { get; private set; }
    /// <summary>The strategy left the firmware without pages (no DRAM, no node, no allocation).</summary>
    public bool NoPages { get; private set; }
    /// <summary>Every boot access of the window reached the firmware's pages.</summary>
    public bool Reached => Boot.Count > 0 && Boot.All(b => b.Outcome == "reached");
    /// <summary>The device's group at boot, and how many devices it holds.</summary>
    public (string Name, int Devices)? Group { get; private set; }
    public List<(string Device, string Domain)> Moved { get; } = [];
    public List<(string Device, ulong Iova)> DmaBroken { get; } = [];
    public List<(string Device, string Domain)> SeesWindow { get; } = [];
    public List<(string Device, ulong Iova)> WindowSees { get; } = [];

    public static Observations Read(RunLog log)
    {
        var o = new Observations();
        string? section = null;
        foreach (var item in log.Items)
        {
            switch (item)
            {
                case Section s: section = s.Title; break;
                case Step st when section == "strategy": o.StrategySteps.Add(st); break;
                case Note n when n.Text.StartsWith(ProbeScript.Prefix, StringComparison.Ordinal): o.Add(n.Text[ProbeScript.Prefix.Length..].Split(' ')); break;
            }
        }
        return o;
    }

    private void Add(string[] f)
    {
        switch (f[0])
        {
            case "boot" or "after" when f.Length >= 3:
                var seen = new BootAccessSeen(Num(f[1]), f[2], f.Length > 3 ? Num(f[3]) : null, f.Length > 4 && f[4] != "none" ? Num(f[4]) : null);
                (f[0] == "boot" ? Boot : After).Add(seen);
                break;
            case "domain" when f.Length == 2: Domain = f[1]; break;
            case "no-pages": NoPages = true; break;
            case "group" when f.Length == 3 && int.TryParse(f[2], NumberStyles.None, CultureInfo.InvariantCulture, out var n): Group = (Word(f[1]), n); break;
            case "resv" when f.Length == 2: Resv ??= f[1]; break;
            case "dma-iova" when f.Length == 2: DmaIova = Num(f[1]); break;
            case "moved" when f.Length == 3: Moved.Add((Word(f[1]), Word(f[2]))); break;
            case "dma-broken" when f.Length == 3: DmaBroken.Add((Word(f[1]), Num(f[2]))); break;
            case "sees-window" when f.Length == 3: SeesWindow.Add((Word(f[1]), Word(f[2]))); break;
            case "window-sees" when f.Length == 3: WindowSees.Add((Word(f[1]), Num(f[2]))); break;
        }
    }

    /// <summary>A name the probe percent-encoded (its '%' and white space; ProbeScript's word()).</summary>
    private static string Word(string w)
    {
        if (!w.Contains('%', StringComparison.Ordinal)) return w;
        var bytes = new List<byte>();
        for (int i = 0; i < w.Length; i++)
        {
            if (w[i] == '%' && i + 2 < w.Length && byte.TryParse(w.AsSpan(i + 1, 2), NumberStyles.HexNumber, CultureInfo.InvariantCulture, out var b)) { bytes.Add(b); i += 2; }
            else bytes.AddRange(System.Text.Encoding.UTF8.GetBytes(w[i].ToString()));
        }
        return System.Text.Encoding.UTF8.GetString(bytes.ToArray());
    }

    private static ulong Num(string hex) => ulong.Parse(hex.AsSpan(2), NumberStyles.HexNumber, CultureInfo.InvariantCulture);
}
