using ScenarioEngine.Config;
using ScenarioEngine.Drivers;
using ScenarioEngine.Kernel;
using ScenarioEngine.Model;

namespace ScenarioEngine.Host.Bench;

/// <summary>A booted core for a bench row: the SoC text loaded from a fresh private folder (removed again), one driver per family.</summary>
internal static class BenchSoc
{
    public static IommuCore Boot(string socYaml, KernelKnobs? knobs = null)
    {
        var dir = Directory.CreateTempSubdirectory("scenario-bench-soc-").FullName; // fresh and private
        try
        {
            var path = Path.Combine(dir, "s.yaml");
            File.WriteAllText(path, socYaml);
            var soc = SocLoader.LoadFile(path, "s.yaml");
            var drivers = new Dictionary<string, IIommuDriver>();
            var core = new IommuCore(soc, knobs ?? KernelKnobs.Default, (c, inst) =>
            {
                if (!drivers.TryGetValue(inst.Driver, out var d)) drivers[inst.Driver] = d = Families.Find(inst.Driver)!.CreateDriver(c);
                return d;
            }, Dma.CoreDma.For);
            core.Boot();
            return core;
        }
        finally
        {
            try { Directory.Delete(dir, true); } catch (IOException) { }
        }
    }
}
