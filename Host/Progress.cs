namespace ScenarioEngine.Host;

/// <summary>
/// `scenario run`'s progress on an interactive terminal: one line on stderr, rewritten in place
/// ("[k/N] path"), erased when the run ends. Not used when stderr is redirected, under CI, or for
/// json/junit output, where the output stays plain lines.
/// </summary>
internal sealed class Progress(TextWriter err, int total)
{
    private readonly Lock _gate = new();
    private int _done;

    /// <summary>Interactive when the writer is the process's own stderr, a terminal, and CI is not set.</summary>
    public static bool Interactive(TextWriter err) =>
        ReferenceEquals(err, Console.Error) && !Console.IsErrorRedirected && Environment.GetEnvironmentVariable("CI") is null;

    public void Completed(string path)
    {
        lock (_gate)
        {
            _done++;
            err.Write($"\r\u001b[K[{_done}/{total}] {path}");
            err.Flush();
        }
    }

    public void Finish()
    {
        lock (_gate) { err.Write("\r\u001b[K"); err.Flush(); }
    }
}
