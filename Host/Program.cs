using ScenarioEngine.Config;
using ScenarioEngine.Running;
Console.Error.WriteLine("start");
var layout = ProjectLayout.For(args[0]);
var sc = ScenarioLoader.Load(args[0], layout);
Console.Error.WriteLine("loaded " + sc.Soc.Devices.Count);
var r = ScenarioRunner.Run(args[0], new RunOptions());
Console.Error.WriteLine("done");
Console.Write(r.Report);
