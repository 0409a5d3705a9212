namespace ScenarioEngine.Scripting;

/// <summary>
/// Limits for one script run. The instruction budget is deterministic (same script, same count);
/// memory is bytes allocated by the Lua state; wall-clock is a backstop only.
/// </summary>
public sealed record Budgets(long Instructions, long MemoryBytes, TimeSpan WallClock)
{
    public static Budgets Default => new(200_000_000, 256L << 20, TimeSpan.FromSeconds(20));
}
