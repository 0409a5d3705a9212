namespace ScenarioEngine.Config;

/// <summary>What the device-tree readers accept before they refuse the input (hostile input is normal input).</summary>
public static class FdtLimits
{
    /// <summary>Largest blob or tree folder read, in bytes (a board's DTB is tens to hundreds of KiB).</summary>
    public const int MaxBytes = 32 << 20;
    public const int MaxNodes = 200_000;
    public const int MaxProperties = 2_000_000;
    public const int MaxDepth = 64;
    public const int MaxNameBytes = 256;
}
