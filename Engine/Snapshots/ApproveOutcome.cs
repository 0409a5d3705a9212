namespace ScenarioEngine.Snapshots;

/// <summary>
/// What one `scenario approve` did, scenario by scenario: every verified snapshot it replaced, every
/// one it could not (and why: a read-only folder, a held lock, a link out of the tree …), and the
/// downloaded reports of <c>--from</c> that belong to no scenario given. An approve never stops
/// silently half-way: what it did and did not do is all here. Full paths; the command displays them.
/// </summary>
public sealed record ApproveOutcome(IReadOnlyList<ApprovedSnapshot> Approved, IReadOnlyList<NotApproved> Failed, IReadOnlyList<string> Unused)
{
    public bool Complete => Failed.Count == 0;
}

/// <summary>A verified snapshot replaced by its received report (<paramref name="Source"/>: the received file, or the --from copy).</summary>
public sealed record ApprovedSnapshot(string Scenario, string Verified, string Source);

/// <summary>A received report that was there and was not approved: its verified file stays as it was.</summary>
public sealed record NotApproved(string Scenario, string Verified, string Why);
