namespace ScenarioEngine.Drivers;

/// <summary>
/// A device-tree node as a family's device-tree methods read it: Linux's struct device_node with the
/// of_property_read_* helpers (include/linux/of.h, Linux 7.0). Read-only. Properties are big-endian
/// 32-bit cells; a property that is not a whole number of cells reads as absent.
/// </summary>
public interface IDtNode
{
    IDtNode? Parent { get; }

    /// <summary>of_property_present.</summary>
    bool Has(string property);

    /// <summary>of_property_read_u32 on a property of exactly one cell; null otherwise.</summary>
    uint? U32(string property);

    /// <summary>The property's cells; null when absent or not whole cells.</summary>
    uint[]? Cells(string property);

    /// <summary>How many cells the property has, without reading them; null when absent or not whole cells.</summary>
    int? CellCount(string property);
}
