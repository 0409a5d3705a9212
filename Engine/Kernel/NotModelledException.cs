namespace ScenarioEngine.Kernel;

/// <summary>
/// The simulation does not model what happens here, and any outcome it gave would be made up (e.g. a
/// MediaTek master's DMA after its M4U failed to register: its larbs were never bound). The script
/// stops at the line that asked with a runtime error (SE2002) whose message says what is not modelled
/// and why; <c>pcall</c> can catch it, and the run's state is unchanged by the call.
/// </summary>
public sealed class NotModelledException(string message) : Exception(message);
