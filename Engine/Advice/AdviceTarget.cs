using ScenarioEngine.Model;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Advice;

/// <summary>Where the window `scenario advise` works on came from.</summary>
public enum WindowSource
{
    /// <summary>One of the device's <c>firmware</c> entries in the SoC file.</summary>
    Firmware,
    /// <summary>A reserved-memory node's <c>iommu-addresses</c> entry for the device, linked by its <c>memory-region</c> (what of_iommu_get_resv_regions reads).</summary>
    IommuAddresses,
    /// <summary>`--iova` and `--size` (or the scenario's <c>advise: { iova, size }</c>).</summary>
    Given,
}

/// <summary>
/// The request resolved against one SoC: the device, the window with the boot accesses its firmware
/// makes, and <see cref="Soc"/>, the SoC the strategies run on — the same SoC with that window, boot
/// accesses included, among the device's firmware entries, so that <c>dev:boot_firmware()</c> replays
/// exactly what the advice is about.
/// </summary>
public sealed record AdviceTarget(DeviceSpec Device, FirmwareWindow Window, WindowSource Source, Soc Soc)
{
    /// <summary>Window name `scenario advise --iova/--size` gives a window the SoC file does not name.</summary>
    public const string GivenWindowName = "advised";

    /// <summary>
    /// Resolves <paramref name="request"/> on <paramref name="soc"/>. The device's windows are its
    /// <c>firmware</c> entries and the reserved-memory <c>iommu-addresses</c> entries that name it in a
    /// node its <c>memory-region</c> links (one that repeats a firmware entry's range is that entry).
    /// Errors (SE1016) name what is wrong: an unknown device (with the closest names), a device without
    /// or with several windows and no choice made, an unknown window, a window that is not page-aligned
    /// or overflows.
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
            return Target(soc, dev, WithBoot(new FirmwareWindow(UnusedName(dev, GivenWindowName), iova, size, [])), WindowSource.Given);
        }
        var windows = Windows(soc, dev);
        if (request.Window is { } name)
        {
            var w = windows.FirstOrDefault(f => f.Window.Name == name);
            if (w.Window is null)
                throw Error($"{dev.Name} has no firmware window '{Display.Clip(name, 60)}'" +
                            (windows.Count == 0 ? "; it names none (give --iova and --size)" : "; it names: " + string.Join(", ", windows.Select(f => f.Window.Name))), at);
            return Chosen(soc, dev, w.Window, w.Source, at);
        }
        return windows.Count switch
        {
            0 => throw Error($"{dev.Name} names no firmware window: neither a firmware entry nor a reserved-memory node with iommu-addresses for it in its memory-region; give its address and size (--iova, --size) or add a firmware entry to the SoC file", at),
            1 => Chosen(soc, dev, windows[0].Window, windows[0].Source, at),
            _ => throw Error($"{dev.Name} names {windows.Count} firmware windows ({string.Join(", ", windows.Select(f => f.Window.Name))}): choose one with --window", at),
        };
    }

    /// <summary>A window of the SoC file; one read from iommu-addresses must be page-aligned, as a window given on the command line must.</summary>
    private static AdviceTarget Chosen(Soc soc, DeviceSpec dev, FirmwareWindow w, WindowSource source, SourceSpan at)
    {
        if (source == WindowSource.IommuAddresses && (w.Iova % Page != 0 || w.Size % Page != 0 || w.Iova > ulong.MaxValue - w.Size))
            throw Error($"reserved-memory {w.Name}'s iommu-addresses for {dev.Name}, [{Hex.Of(w.Iova)}, +{Hex.Of(w.Size)}), is not a 4 KiB-aligned window: give one with --iova and --size", at);
        return Target(soc, dev, WithBoot(w), source);
    }

    /// <summary>
    /// The device's windows in the SoC file: its firmware entries, then each iommu-addresses entry for
    /// it in a reserved-memory node its memory-region links (drivers/iommu/of_iommu.c
    /// of_iommu_get_resv_regions reads only those), named after the node. An iommu-addresses entry with
    /// the range of a firmware entry is that entry, and one of length 0 (which the kernel skips) is none.
    /// </summary>
    public static IReadOnlyList<(FirmwareWindow Window, WindowSource Source)> Windows(Soc soc, DeviceSpec dev)
    {
        var list = dev.Firmware.Select(f => (f, WindowSource.Firmware)).ToList();
        foreach (var node in soc.ReservedMemory.Where(n => dev.MemoryRegion.Contains(n.Name)))
        {
            var mine = node.IommuAddresses.Where(a => a.Device == dev.Name && a.Size > 0).ToList();
            for (int i = 0; i < mine.Count; i++)
            {
                var a = mine[i];
                if (list.Any(w => w.f.Iova == a.Iova && w.f.Size == a.Size)) continue;
                var name = mine.Count == 1 ? node.Name : $"{node.Name}-{i + 1}";
                while (list.Any(w => w.f.Name == name)) name += "-iommu-addresses";
                list.Add((new FirmwareWindow(name, a.Iova, a.Size, []), WindowSource.IommuAddresses));
            }
        }
        return list;
    }

    /// <summary>The target, with the SoC the strategies run on: the window (its boot accesses included) in place of the device's entry of that name, or added.</summary>
    private static AdviceTarget Target(Soc soc, DeviceSpec dev, FirmwareWindow window, WindowSource source)
    {
        var firmware = dev.Firmware.Any(f => f.Name == window.Name)
            ? dev.Firmware.Select(f => f.Name == window.Name ? window : f).ToList()
            : [.. dev.Firmware, window];
        var changed = dev with { Firmware = firmware };
        var runSoc = soc with { Devices = soc.Devices.Select(d => ReferenceEquals(d, dev) ? changed : d).ToList() };
        return new AdviceTarget(changed, window, source, runSoc);
    }

    private static string UnusedName(DeviceSpec dev, string wanted)
    {
        var name = wanted;
        for (int i = 2; dev.Firmware.Any(f => f.Name == name); i++) name = $"{wanted}-{i}";
        return name;
    }

    private const ulong Page = 4096;

    /// <summary>A window whose SoC entry lists no boot accesses (or that the SoC file does not list at all) is probed at its first and last page, read.</summary>
    private static FirmwareWindow WithBoot(FirmwareWindow w) => w.Boot.Count > 0 || w.Size < Page ? w
        : w with { Boot = w.Size == Page ? [new(w.Iova, Page, false)] : [new(w.Iova, Page, false), new(w.Iova + w.Size - Page, Page, false)] };

    private static string Nearest(string name, IEnumerable<string> known)
    {
        var near = Suggest.Nearest(name, known, 3);
        return near.Count == 0 ? "" : "; closest: " + string.Join(", ", near);
    }

    private static ScenarioLoadException Error(string message, SourceSpan at) => new(new ScenarioError(ErrorCode.BadAdvice, message, at));
}
