using System.CommandLine;
using ScenarioEngine.Host;

// The `scenario` command (docs/ci.md). Thin: parses, calls Engine/Running, prints.
// Exit codes: 0 everything passed and matched; 1 a scenario failed, changed or is new; 2 misuse.
return Cli.Run(args, Console.Out, Console.Error);
