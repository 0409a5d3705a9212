namespace ScenarioEngine.Model;

/// <summary>
/// Upstream fixes a scenario may apply on top of Linux 7.0.0 as released (`kernel: { fixes: [id] }`).
/// Without them the engine is 7.0.0 exactly; every rule a fix changes names it next to the rule.
/// Ids are the first 12 hex digits of the upstream commit.
/// </summary>
public static class KernelFixes
{
    /// <summary>
    /// 6fc7e8a3b811 "iommu: Fix loss of errno on map failure for classic ops" (queued for 7.0-stable):
    /// 7.0.0's iommu_map_nosync tests __iommu_map_domain_pgtbl's result inverted (`if (!ret) return ret;`),
    /// so a failed map of a driver with classic io-pgtable ops returns 0 and iommu_sync_map runs.
    /// </summary>
    public const string MapErrno = "6fc7e8a3b811";

    /// <summary>Every fix the engine models: id → upstream subject.</summary>
    public static readonly IReadOnlyDictionary<string, string> Known = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [MapErrno] = "iommu: Fix loss of errno on map failure for classic ops",
    };

    /// <summary>The known id a written id names (12 or more leading hex digits of the commit, any case), or null.</summary>
    public static string? Resolve(string written)
    {
        var w = written.Trim().ToLowerInvariant();
        if (w.Length < 12 || w.Length > 40 || !w.All(char.IsAsciiHexDigitLower)) return null;
        return Known.Keys.FirstOrDefault(k => w.StartsWith(k, StringComparison.Ordinal) && (w.Length == 12 || FullIds.GetValueOrDefault(k, "").StartsWith(w, StringComparison.Ordinal)));
    }

    private static readonly IReadOnlyDictionary<string, string> FullIds = new Dictionary<string, string>(StringComparer.Ordinal)
    {
        [MapErrno] = "6fc7e8a3b8115294f60f5c89de27330bf1b9c98e",
    };
}
