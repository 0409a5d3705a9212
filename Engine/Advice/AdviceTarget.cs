using ScenarioEngine.Model;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Advice;

/// <summary>The request resolved against one SoC: the device and the window, with the boot accesses the firmware makes.</summary>
public sealed record AdviceTarget(DeviceSpec Device, FirmwareWindow Window, bool Given)
{
    /// <summary>Window name `scenario advise --iova/--size` gives a window the SoC file does not name.</summary>
    public const string GivenWindowName = "advised";

    /// <summary>
    /// Resolves <paramref name="request"/> on <paramref name="soc"/>. Errors (SE1016) name what is
    /// wrong: an unknown device (with the closest names), a device without or with several firmware
    /// windows and no choice made, an unknown window, a window that is not page-aligned or overflows.
    /// </summary>
    public static AdviceTarget Resolve(Soc soc, AdviceRequest request, SourceSpan at)
    {
        var dev = soc.FindDevice(request.Device)
            ?? throw Error($"{soc.Name} has no device '{Display.Clip(request.Device, 60)}'" + Nearest(request.Device, soc.Devices.Select(d => d.Name)), at);
        if (request.Iova is not null || request.Size is not null)
        {
            if (request.Window is not null) throw Error("give either a window name or --iova and --size, not both", at);
            if (request.Iova is not { } iova || request.Size is not { } size) throw Error("--iova and --size go together", at);
            if (size == 0) throw Error("the window's size is 0", at);
            if (iova % Page != 0 || size % Page != 0) throw Error($"the window [{Hex.Of(iova)}, +{Hex.Of(size)}) is not 4 KiB-aligned: an IOMMU maps whole pages", at);
            if (iova > ulong.MaxValue - size) throw Error($"the window [{Hex.Of(iova)}, +{Hex.Of(size)}) runs past the end of the address space", at);
            // The firmware's boot accesses are not known: its first and last page, read.
            var boot = size == Page
                ? new List<BootAccess> { new(iova, Page, false) }
                : [new(iova, Page, false), new(iova + size - Page, Page, false)];
            return new AdviceTarget(dev, new FirmwareWindow(GivenWindowName, iova, size, boot), Given: true);
        }
        if (request.Window is { } name)
        {
            var w = dev.Firmware.FirstOrDefault(f => f.Name == name)
                ?? throw Error($"{dev.Name} has no firmware window '{Display.Clip(name, 60)}'" +
                               (dev.Firmware.Count == 0 ? "; it names none (give --iova and --size)" : "; it names: " + string.Join(", ", dev.Firmware.Select(f => f.Name))), at);
            return new AdviceTarget(dev, WithBoot(w), Given: false);
        }
        return dev.Firmware.Count switch
        {
            0 => throw Error($"{dev.Name} names no firmware window: give its address and size (--iova, --size) or add a firmware entry to the SoC file", at),
            1 => new AdviceTarget(dev, WithBoot(dev.Firmware[0]), Given: false),
            _ => throw Error($"{dev.Name} names {dev.Firmware.Count} firmware windows ({string.Join(", ", dev.Firmware.Select(f => f.Name))}): choose one with --window", at),
        };
    }

    /// <summary>The SoC the strategies run on: the given window added to the device when the SoC file does not name it.</summary>
    public Soc ApplyTo(Soc soc)
    {
        if (!Given) return soc;
        var dev = soc.FindDevice(Device.Name)!;
        var changed = dev with { Firmware = [.. dev.Firmware, Window] };
        return soc with { Devices = soc.Devices.Select(d => ReferenceEquals(d, dev) ? changed : d).ToList() };
    }

    private const ulong Page = 4096;

    /// <summary>A window whose SoC entry lists no boot accesses is probed at its first and last page.</summary>
    private static FirmwareWindow WithBoot(FirmwareWindow w) => w.Boot.Count > 0 || w.Size < Page ? w
        : w with { Boot = w.Size == Page ? [new(w.Iova, Page, false)] : [new(w.Iova, Page, false), new(w.Iova + w.Size - Page, Page, false)] };

    private static string Nearest(string name, IEnumerable<string> known)
    {
        var near = Suggest.Nearest(name, known, 3);
        return near.Count == 0 ? "" : "; closest: " + string.Join(", ", near);
    }

    private static ScenarioLoadException Error(string message, SourceSpan at) => new(new ScenarioError(ErrorCode.BadAdvice, message, at));
}
