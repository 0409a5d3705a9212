namespace ScenarioEngine.Drivers;

/// <summary>
/// The device tree being imported, as a family's device-tree methods may use it: phandles resolved
/// (of_find_node_by_phandle), node paths shown, and warnings given — each bounded by the import's
/// budget and folded when repeated, so a family's loop over a property needs no limits of its own.
/// </summary>
public interface IDtTree
{
    /// <summary>The node with this phandle, or null (of_find_node_by_phandle). Counts as a step of the import's work.</summary>
    IDtNode? ByPhandle(uint phandle);

    /// <summary>The node's path made safe for a YAML comment and a terminal (printable, clipped).</summary>
    string Show(IDtNode node);

    /// <summary>
    /// Says what the SoC file will not express, as "PATH: TEXT" at the top of the file and on the
    /// terminal. <paramref name="kind"/> names the warning site (repeats of one kind fold into "… and N
    /// more").
    /// </summary>
    void Warn(IDtNode at, string kind, string text);

    /// <summary>
    /// A comment line under the IOMMU instance being read (only from <see cref="IommuFamily.FromTree"/>;
    /// the importer writes the '#'). Counts against the import's output budget.
    /// </summary>
    void Note(string text);
}
