namespace ScenarioEngine.Yaml;

/// <summary>
/// Stable numbered codes for every input error. The catalogue with examples and fixes is
/// docs/errors.md; tests assert codes, never message text. Numbers are never reused.
/// </summary>
public enum ErrorCode
{
    // 1xxx: YAML documents
    YamlSyntax = 1001,
    DuplicateKey = 1002,
    UnknownKey = 1003,
    WrongType = 1004,
    MissingKey = 1005,
    BadNumber = 1006,
    BadValue = 1007,
    FileNotFound = 1008,
    UnknownReference = 1009,
    OverlappingRanges = 1010,
    OutOfRange = 1011,
    DuplicateName = 1012,
    UnsupportedDriver = 1013,
    BadPath = 1014,
    BadDeviceTree = 1015,
    BadAdvice = 1016,
    BadPciTopology = 1017,

    // 2xxx: Lua scripts
    LuaSyntax = 2001,
    LuaRuntime = 2002,
    InstructionBudget = 2003,
    MemoryBudget = 2004,
    TimeBudget = 2005,
    KernelOops = 2006,
    Cancelled = 2007,
    WorkerDied = 2008,
    EngineError = 2009,
    UnknownApiName = 2010,

    // 3xxx: snapshot files
    SnapshotIo = 3001,
}

public static class ErrorCodes
{
    public static string Format(ErrorCode code) => "SE" + ((int)code).ToString(System.Globalization.CultureInfo.InvariantCulture);
}
