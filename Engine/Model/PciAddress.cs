using System.Globalization;

namespace ScenarioEngine.Model;

/// <summary>
/// A PCI function's address: domain (segment), bus, devfn (slot &lt;&lt; 3 | function), as
/// include/uapi/linux/pci.h packs it (PCI_DEVFN, PCI_SLOT, PCI_FUNC) and lspci -D prints it:
/// <c>0000:01:00.0</c>. The requester ID is bus &lt;&lt; 8 | devfn (PCI_DEVID). Only functions 0–7 of
/// slots 0–31 are modelled (no ARI).
/// </summary>
public readonly record struct PciAddress(int Segment, int Bus, int Devfn)
{
    public int Slot => Devfn >> 3;
    public int Function => Devfn & 7;
    /// <summary>PCI_DEVID(bus, devfn): the requester ID the function's TLPs carry.</summary>
    public uint Rid => (uint)(Bus << 8 | Devfn);

    /// <summary>PCI_DEVFN(slot, func).</summary>
    public static int MakeDevfn(int slot, int function) => (slot & 0x1f) << 3 | (function & 7);

    /// <summary>"SS.F" as lspci and the kernel print a devfn.</summary>
    public static string DevfnText(int devfn) => string.Create(CultureInfo.InvariantCulture, $"{devfn >> 3:x2}.{devfn & 7:x}");

    /// <summary>"0000:01:00.0" (dev_name of a PCI device).</summary>
    public override string ToString() => string.Create(CultureInfo.InvariantCulture, $"{Segment:x4}:{Bus:x2}:{Slot:x2}.{Function:x}");

    /// <summary>The same function on another bus number's slot: PCI_DEVID(bus, devfn) as an address of this segment.</summary>
    public PciAddress On(int bus, int devfn) => new(Segment, bus, devfn);

    /// <summary>
    /// Parses "SSSS:BB:DD.F" or "BB:DD.F" (hex, as lspci -D prints; the segment defaults to
    /// <paramref name="segment"/>). Null and a reason when it is not an address.
    /// </summary>
    public static PciAddress? Parse(string text, int segment, out string? error)
    {
        error = null;
        var parts = text.Split(':');
        if (parts.Length is < 2 or > 3) { error = "expected BB:DD.F or SSSS:BB:DD.F"; return null; }
        int seg = segment;
        if (parts.Length == 3)
        {
            if (!Hex(parts[0], 4, out seg)) { error = $"segment '{parts[0]}' is not 1 to 4 hex digits"; return null; }
        }
        var busText = parts[^2];
        var dot = parts[^1].Split('.');
        if (dot.Length != 2) { error = "expected DD.F after the bus"; return null; }
        if (!Hex(busText, 2, out int bus)) { error = $"bus '{busText}' is not 1 or 2 hex digits"; return null; }
        if (!Hex(dot[0], 2, out int slot) || slot > 0x1f) { error = $"device '{dot[0]}' is not a hex number from 00 to 1f"; return null; }
        if (!Hex(dot[1], 1, out int fn) || fn > 7) { error = $"function '{dot[1]}' is not a digit from 0 to 7"; return null; }
        return new PciAddress(seg, bus, MakeDevfn(slot, fn));
    }

    /// <summary>"SS.F": a devfn of a bus (dma-alias entries).</summary>
    public static int? ParseDevfn(string text)
    {
        var dot = text.Split('.');
        if (dot.Length != 2 || !Hex(dot[0], 2, out int slot) || slot > 0x1f || !Hex(dot[1], 1, out int fn) || fn > 7) return null;
        return MakeDevfn(slot, fn);
    }

    private static bool Hex(string s, int maxDigits, out int value)
    {
        value = 0;
        if (s.Length == 0 || s.Length > maxDigits) return false;
        foreach (var c in s)
        {
            int d = c is >= '0' and <= '9' ? c - '0' : c is >= 'a' and <= 'f' ? c - 'a' + 10 : c is >= 'A' and <= 'F' ? c - 'A' + 10 : -1;
            if (d < 0) return false;
            value = value * 16 + d;
        }
        return true;
    }
}
