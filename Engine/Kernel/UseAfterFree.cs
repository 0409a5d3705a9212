using ScenarioEngine.Hardware;
using ScenarioEngine.Model;

namespace ScenarioEngine.Kernel;

/// <summary>A read of a freed domain, logged as KASAN would name it.</summary>
public static class UseAfterFree
{
    /// <summary>The kernel (<paramref name="reader"/>) read <paramref name="freed"/> after iommu_domain_free; without KASAN it goes on with the stale memory.</summary>
    public static void UseAfterFreeRead(this EventLog log, ScriptSite site, IommuDomain freed, string reader, string? device) =>
        log.Hazard(site, EventKind.UseAfterFree, device, freed.Name, $"use-after-free: {reader} read {freed.Name}, freed by iommu_domain_free at line {freed.FreedLine}; " +
            "without KASAN the freed memory still holds it, so the kernel goes on with it (KASAN would report a slab-use-after-free read here)");
}
