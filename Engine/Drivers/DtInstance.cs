using ScenarioEngine.Model;

namespace ScenarioEngine.Drivers;

/// <summary>
/// One key of an imported IOMMU's line (after its name and compatible): the value the SoC file gets,
/// and, when the tree does not really say it (the hardware's ID registers do), why this value — the
/// importer turns that into a warning "PATH: 'KEY' WHY". A null <see cref="Value"/> waits for every
/// master the tree gives the instance (<see cref="DtInstance.Settle"/>).
/// </summary>
public sealed record DtKey(string Key, string? Value, string? Why = null);

/// <summary>
/// What the device tree says of one IOMMU instance, as its family reads it (<see cref="IommuFamily.FromTree"/>):
/// the keys its line gets, in order, and what it learns from the masters the tree gives it
/// (<see cref="Saw"/>) for keys that depend on them. Comment lines under the line are
/// <see cref="IDtTree.Note"/>s.
/// </summary>
public class DtInstance(IReadOnlyList<DtKey> keys)
{
    public IReadOnlyList<DtKey> Keys { get; } = keys;

    /// <summary>
    /// The tree names <paramref name="count"/> consecutive master IDs of this instance from
    /// <paramref name="first"/> (<see cref="IommuFamily.OfXlate"/>'s): 1 for an `iommus` specifier, an
    /// `iommu-map` entry's length for its RID range (of_map_id adds the RID's offset to the first).
    /// </summary>
    public virtual void Saw(DeviceId first, ulong count) { }

    /// <summary>A key <see cref="Keys"/> left waiting (null value), once every master is read: its value and why.</summary>
    public virtual DtKey Settle(DtKey waiting) =>
        throw new InvalidOperationException($"'{waiting.Key}' waits for the masters, but {GetType().Name} does not settle it");
}
