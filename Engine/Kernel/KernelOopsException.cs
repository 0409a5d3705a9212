namespace ScenarioEngine.Kernel;

/// <summary>
/// The simulated kernel would crash here (a NULL dereference in a driver, a BUG_ON). The run stops
/// with error SE2006 at the script line that triggered it; nothing after it would have happened.
/// </summary>
public sealed class KernelOopsException(string message) : Exception(message);
