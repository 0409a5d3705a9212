using ScenarioEngine.Config;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Host;

/// <summary>
/// `scenario import dtb BOARD.dtb [-o FILE]` and `scenario import fdt-dir DIR [-o FILE]`: a SoC file
/// from a flattened device tree or a copy of /proc/device-tree (DtImporter). The file is loaded
/// before it is written; with -o it is created whole and never over anything (<see cref="NewFile"/>:
/// of two imports to one name, exactly one writes it); without, it goes to standard output. Warnings
/// (what the file does not express, repeated ones folded) go to standard error and into the file as
/// comments. An import past its budget (<see cref="ImportBudget"/>) is SE1015 at the node it reached.
/// </summary>
internal static class ImportCommand
{
    public static int Dtb(string file, string? output, TextWriter stdout, TextWriter stderr)
    {
        FdtNode root;
        try
        {
            var info = new FileInfo(file);
            if (!info.Exists) { stderr.WriteLine($"import: no such file: {DtImporter.Clean(file)}"); return Cli.Misuse; }
            // A FIFO (a shell's <(...) included) would block the open until a writer comes, a device
            // could stream without end: only a regular file is read (FileAttributes do not tell on Linux).
            if (info.LinkTarget is not null || Yaml.InputFiles.IsSpecial(file)) { stderr.WriteLine($"import: {DtImporter.Clean(file)} is not a regular file (write the blob to a file first)"); return Cli.Misuse; }
            if (info.Length > FdtLimits.MaxBytes) { stderr.WriteLine($"import: {DtImporter.Clean(file)}: {info.Length} bytes is more than the {FdtLimits.MaxBytes >> 20} MiB a device tree is read up to"); return Cli.Failed; }
            root = FdtReader.Read(File.ReadAllBytes(file));
        }
        catch (DeviceTreeException e)
        {
            stderr.WriteLine($"import: {DtImporter.Clean(file)}: {e.Where}: {DtImporter.Clean(e.Reason)} ({ErrorCodes.Format(ErrorCode.BadDeviceTree)})");
            return Cli.Failed;
        }
        return Write(root, Path.GetFileName(file), output, stdout, stderr);
    }

    public static int FdtDir(string dir, string? output, TextWriter stdout, TextWriter stderr)
    {
        FdtNode root;
        try { root = FdtDirReader.Read(dir); }
        catch (DeviceTreeException e)
        {
            stderr.WriteLine($"import: {DtImporter.Clean(dir)}: {DtImporter.Clean(e.Where)}: {DtImporter.Clean(e.Reason)} ({ErrorCodes.Format(ErrorCode.BadDeviceTree)})");
            return Cli.Failed;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            stderr.WriteLine($"import: {DtImporter.Clean(dir)}: {DtImporter.Clean(e.Message)}");
            return Cli.Failed;
        }
        return Write(root, Path.GetFileName(Path.TrimEndingDirectorySeparator(dir)) + "/", output, stdout, stderr);
    }

    private static int Write(FdtNode root, string source, string? output, TextWriter stdout, TextWriter stderr)
    {
        if (output is not null && NewFile.Exists(output)) { stderr.WriteLine($"import: {DtImporter.Clean(output)} exists; not overwritten"); return Cli.Misuse; }
        DtImporter.Result r;
        try { r = DtImporter.Import(root, source); }
        catch (ImportBudgetException e)
        {
            stderr.WriteLine($"import: {DtImporter.Clean(source)}: {DtImporter.Clean(e.Where)}: {DtImporter.Clean(e.Reason)} ({ErrorCodes.Format(ErrorCode.BadDeviceTree)})");
            return Cli.Failed;
        }
        var shown = output is null ? "imported.yaml" : Path.GetFileName(output);
        var text = (output is null ? "" : NewCommand.Modeline(output, "soc")) + r.Yaml;
        Model.Soc soc;
        try { soc = SocLoader.Load(YamlTree.Parse(text, shown), shown); }
        catch (ScenarioLoadException e)
        {
            stderr.WriteLine($"import: the SoC file written from {DtImporter.Clean(source)} does not load: {e.Error}");
            stderr.WriteLine("import: nothing written; the text follows on standard output for inspection");
            stdout.Write(text);
            return Cli.Failed;
        }
        foreach (var w in r.Warnings) stderr.WriteLine($"import: warning: {w}");
        if (output is null)
        {
            stdout.Write(text);
            return Cli.Ok;
        }
        switch (NewFile.Create(output, text, out var error))
        {
            case NewFile.Outcome.Exists:
                stderr.WriteLine($"import: {DtImporter.Clean(output)} exists (made while the import ran); not overwritten");
                return Cli.Misuse;
            case NewFile.Outcome.Failed:
                stderr.WriteLine($"import: {DtImporter.Clean(output)}: {DtImporter.Clean(error!)}");
                return Cli.Failed;
        }
        var shownCount = r.WarningCount == r.Warnings.Count ? "" : $", {r.Warnings.Count(w => !w.StartsWith('…'))} listed";
        stdout.WriteLine($"wrote {DtImporter.Clean(output)}: {soc.Iommus.Count} IOMMU(s), {soc.Devices.Count} master(s), {r.WarningCount.ToString("N0", System.Globalization.CultureInfo.InvariantCulture)} warning(s){shownCount}");
        return Cli.Ok;
    }
}
