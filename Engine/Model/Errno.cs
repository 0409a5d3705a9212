namespace ScenarioEngine.Model;

/// <summary>Linux errno values (include/uapi/asm-generic/errno-base.h, errno.h), kernel names.</summary>
public enum Errno
{
    None = 0,
    EPERM = 1,
    ENOENT = 2,
    ENOMEM = 12,
    EFAULT = 14,
    EBUSY = 16,
    EEXIST = 17,
    ENODEV = 19,
    EINVAL = 22,
    ENOSPC = 28,
    ERANGE = 34,
    ENOSYS = 38,
    EOPNOTSUPP = 95,
    EADDRINUSE = 98,
    EPROBE_DEFER = 517,
}

/// <summary>
/// A simulated outcome: errno 0 or a failure, with the sentence the report prints beside it —
/// which rule decided, and where that rule lives in the kernel. A success may carry a note too
/// (e.g. "TTBR not rewritten").
/// </summary>
public readonly record struct Outcome(Errno Errno, string? Why)
{
    public bool Ok => Errno == Errno.None;
    public static Outcome Success => default;
    public static Outcome Note(string why) => new(Errno.None, why);
    public static Outcome Fail(Errno e, string why) => new(e, why);
}

/// <summary>A simulated outcome carrying a value on success.</summary>
public readonly record struct Result<T>(T? Value, Errno Errno, string? Why)
{
    public bool Ok => Errno == Errno.None;
    public static Result<T> Of(T value, string? why = null) => new(value, Errno.None, why);
    public static Result<T> Fail(Errno e, string why) => new(default, e, why);
    public static implicit operator Result<T>(Outcome o) => new(default, o.Errno, o.Why);
    public Outcome AsOutcome => new(Errno, Why);
}
