using System.Globalization;
using System.Text.Json;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Tests;

/// <summary>iommu_pgsize against the golden vectors produced by the kernel's own function.</summary>
public class PageSizesTests
{
    private static ulong H(JsonElement e) => e.ValueKind == JsonValueKind.Number ? e.GetUInt64() : ulong.Parse(e.GetString()![2..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);

    public static TheoryData<int> Vectors()
    {
        var data = new TheoryData<int>();
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "iova.json")));
        int n = doc.RootElement.GetProperty("iommu_pgsize_vectors").GetProperty("vectors").GetArrayLength();
        for (int i = 0; i < n; i++) data.Add(i);
        return data;
    }

    [Theory]
    [MemberData(nameof(Vectors))]
    public void Every_golden_iommu_pgsize_vector_splits_the_same_way(int index)
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "Golden", "iova.json")));
        var v = doc.RootElement.GetProperty("iommu_pgsize_vectors").GetProperty("vectors")[index];
        ulong bitmap = H(v.GetProperty("pgsize_bitmap")), iova = H(v.GetProperty("iova")), pa = H(v.GetProperty("paddr")), size = H(v.GetProperty("size"));
        var expected = v.GetProperty("result").GetProperty("chunks").EnumerateArray()
            .Select(c => (H(c.GetProperty("iova")), H(c.GetProperty("paddr")), H(c.GetProperty("pgsize")), H(c.GetProperty("count")))).ToList();
        var got = new List<(ulong, ulong, ulong, ulong)>();
        while (size > 0)
        {
            var (pg, count) = PageSizes.Pick(bitmap, iova, pa, size);
            got.Add((iova, pa, pg, count));
            iova += pg * count;
            pa += pg * count;
            size -= pg * count;
        }
        Assert.Equal(expected, got);
    }

    [Fact]
    public void The_reference_example_splits_into_511_small_one_large_one_small()
    {
        var (pg, count) = PageSizes.Pick(0x40201000, 0x1000, 0x8000_1000, 0x40_0000);
        Assert.Equal((0x1000UL, 511UL), (pg, count));
    }
}
