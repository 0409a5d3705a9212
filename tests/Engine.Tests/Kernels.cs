using ScenarioEngine.Model;

namespace ScenarioEngine.Tests;

/// <summary>Kernel knobs the tests share: Linux 7.0.0 with upstream 6fc7e8a3b811, for tests of rules that need iommu_map's errno intact.</summary>
internal static class Kernels
{
    public static readonly KernelKnobs MapErrnoFixed = KernelKnobs.Default with { Fixes = [KernelFixes.MapErrno] };
}
