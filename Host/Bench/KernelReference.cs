namespace ScenarioEngine.Host.Bench;

/// <summary>
/// The kernel's own figures for the page-table and IOVA rows: reference data, not measured by `bench`
/// (the project cannot ship the kernel's code). drivers/iommu/io-pgtable-arm.c, io-pgtable-arm-v7s.c and
/// iova.c (with lib/rbtree.c) of Linux 7.0 were compiled in userspace with a small shim of kernel
/// helpers and ran the same workloads as the rows (docs/performance.md says how to rebuild them), in a
/// process pinned to one CPU, interleaved with the engine's rows. Each figure carries the plain-loop
/// floor measured in the same runs and when and how it was taken: a row is compared after dividing each
/// side by its own floor (the engine's is measured between the row's own rounds).
/// </summary>
internal static class KernelReference
{
    /// <summary>A kernel figure: ns per operation, the C floor loop's ns in the same runs, and which set of runs.</summary>
    internal readonly record struct Figure(double Ns, double FloorNs, string Measured);

    /// <summary>The first set: a quiet 2-vCPU machine, medians of three interleaved runs (docs/performance.md, "The hot paths").</summary>
    public const string Quiet = "2026-11-30, 2 vCPUs, quiet, gcc -O2, medians of 3 interleaved runs";

    /// <summary>
    /// The random-order rows and the scattered IOVA row: the same machine kind (2 vCPUs, AMD EPYC) shared
    /// with other builds (load average 35-48), gcc 12.2 -O2, pinned to one CPU, medians of the runs below.
    /// </summary>
    public const string Loaded = "2026-12-08, 2 vCPUs (AMD EPYC) under load 35-48, gcc 12.2 -O2, pinned to one CPU, medians of 3 interleaved runs";

    private const double QuietFloor = 0.81, LoadedFloor = 3.02;

    public static readonly IReadOnlyDictionary<string, Figure> Rows = new Dictionary<string, Figure>
    {
        ["iova alloc_iova: grow the tree to 10^6 ranges"] = new(76.5, QuietFloor, Quiet),
        ["iova alloc+free steady, 4096 live, 1-256 pages"] = new(361.6, QuietFloor, Quiet),
        ["iova rcache alloc_fast+free_fast, 1-32 pages"] = new(5.15, QuietFloor, Quiet),
        ["iova alloc_fast+free_fast, random order, 4096 live, scattered sizes"] = new(4796.37, LoadedFloor, Loaded),
        ["v7s map, one call per page, fresh tables"] = new(10.44, QuietFloor, Quiet),
        ["v7s map, one call per page, existing tables"] = new(10.40, QuietFloor, Quiet),
        ["v7s map_pages of 1 GiB, per page"] = new(7.39, QuietFloor, Quiet),
        ["v7s iova_to_phys, per page"] = new(5.50, QuietFloor, Quiet),
        ["v7s unmap, one call per page"] = new(11.74, QuietFloor, Quiet),
        ["v7s unmap_pages of 1 GiB, per page"] = new(9.51, QuietFloor, Quiet),
        ["v7s random order: map, one call per page, fresh tables"] = new(59.73, LoadedFloor, Loaded),
        ["v7s random order: map, one call per page, existing tables"] = new(72.47, LoadedFloor, Loaded),
        ["v7s random order: iova_to_phys, per page"] = new(27.87, LoadedFloor, Loaded),
        ["v7s random order: unmap, one call per page"] = new(136.19, LoadedFloor, Loaded),
        ["lpae-s1-4k map, one call per page, fresh tables"] = new(15.75, QuietFloor, Quiet),
        ["lpae-s1-4k map, one call per page, existing tables"] = new(15.58, QuietFloor, Quiet),
        ["lpae-s1-4k map_pages of 1 GiB, per page"] = new(1.17, QuietFloor, Quiet),
        ["lpae-s1-4k iova_to_phys, per page"] = new(24.66, QuietFloor, Quiet),
        ["lpae-s1-4k unmap, one call per page"] = new(13.14, QuietFloor, Quiet),
        ["lpae-s1-4k unmap_pages of 1 GiB, per page"] = new(0.96, QuietFloor, Quiet),
        ["lpae-s1-4k random order: map, one call per page, fresh tables"] = new(104.83, LoadedFloor, Loaded),
        ["lpae-s1-4k random order: map, one call per page, existing tables"] = new(124.22, LoadedFloor, Loaded),
        ["lpae-s1-4k random order: iova_to_phys, per page"] = new(266.17, LoadedFloor, Loaded),
        ["lpae-s1-4k random order: unmap, one call per page"] = new(143.08, LoadedFloor, Loaded),
        [BenchCommand.FloorRow] = new(QuietFloor, QuietFloor, Quiet),
    };
}
