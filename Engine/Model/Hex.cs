using System.Globalization;

namespace ScenarioEngine.Model;

/// <summary>Address and size formatting used in every report: lowercase hex with 0x (the number syntax of docs/yaml-reference.md).</summary>
public static class Hex
{
    public static string Of(ulong v) => "0x" + v.ToString("x", CultureInfo.InvariantCulture);

    /// <summary>Sizes print in IEC units when exact (4 KiB, 16 MiB), else as hex.</summary>
    public static string Size(ulong v)
    {
        if (v == 0) return "0";
        string[] units = ["B", "KiB", "MiB", "GiB", "TiB"];
        int u = 0;
        ulong x = v;
        while (u < units.Length - 1 && x % 1024 == 0) { x /= 1024; u++; }
        return u == 0 ? Of(v) : x.ToString(CultureInfo.InvariantCulture) + " " + units[u];
    }
}
