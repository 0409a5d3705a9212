using ScenarioEngine.Scripting;

namespace ScenarioEngine.Host.Watch;

/// <summary>`scenario watch` options, validated before the host starts (<see cref="Validate"/>).</summary>
public sealed record WatchOptions
{
    /// <summary>The scenarios/ folder to keep checked.</summary>
    public required string ScenariosRoot { get; init; }
    public string? SnapshotsDir { get; init; }
    public int Jobs { get; init; } = Environment.ProcessorCount;
    public Budgets Budgets { get; init; } = Budgets.Default;
    /// <summary>Quiet time per file before a change is acted on (editors save in several writes).</summary>
    public TimeSpan Debounce { get; init; } = TimeSpan.FromMilliseconds(200);
    /// <summary>Poll by content hashes at this interval instead of file-system events (network and container file systems).</summary>
    public TimeSpan? Poll { get; init; }

    /// <summary>Serve the latest results read-only at this loopback URL (http://127.0.0.1:PORT); null: do not serve.</summary>
    public string? Urls { get; init; }

    /// <summary>With <see cref="Urls"/>: accept POST /approve from the served page itself (same origin), one scenario at a time.</summary>
    public bool AllowApprove { get; init; }

    /// <summary>With <see cref="Urls"/>: connections kept open at most; over it the one idle the longest is closed (<see cref="ConnectionTable"/>).</summary>
    public int MaxConnections { get; init; } = 512;

    /// <summary>Run scenarios inside the service's own process (tests only; a crash would then stop the service).</summary>
    public bool InProcess { get; init; }

    /// <summary>Every problem with the options, one line each; empty when they are usable.</summary>
    public IReadOnlyList<string> Validate()
    {
        var errors = new List<string>();
        if (!Directory.Exists(ScenariosRoot)) errors.Add($"no such folder: {ScenariosRoot}");
        if (Jobs < 1 || Jobs > 256) errors.Add($"--jobs must be between 1 and 256 (got {Jobs})");
        if (Debounce < TimeSpan.Zero || Debounce > TimeSpan.FromSeconds(60)) errors.Add($"--debounce-ms must be 0..60000 (got {Debounce.TotalMilliseconds:0})");
        if (Poll is { } p && (p < TimeSpan.FromMilliseconds(50) || p > TimeSpan.FromMinutes(10))) errors.Add($"--poll-ms must be 50..600000 (got {p.TotalMilliseconds:0})");
        if (Urls is not null && ResultsServer.Check(Urls) is { } bad) errors.Add(bad);
        if (AllowApprove && Urls is null) errors.Add("--allow-approve needs --urls (it adds a button to the served page)");
        return errors;
    }
}
