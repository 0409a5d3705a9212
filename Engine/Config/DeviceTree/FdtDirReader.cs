namespace ScenarioEngine.Config;

/// <summary>
/// Reads a copy of a running board's /proc/device-tree (the kernel's /sys/firmware/devicetree/base): a
/// folder per node, a file per property holding its raw bytes. Only regular files and folders inside
/// the tree are read; a symbolic link or anything else is refused. The walk uses an explicit stack and
/// stops at <see cref="FdtLimits"/>.
/// </summary>
public static class FdtDirReader
{
    public static FdtNode Read(string dir)
    {
        var rootInfo = new DirectoryInfo(dir);
        if (!rootInfo.Exists) throw new DeviceTreeException(dir, "no such folder");
        if (rootInfo.LinkTarget is not null) throw new DeviceTreeException(dir, "is a symbolic link; give the folder itself");
        var root = new FdtNode("", null);
        var stack = new Stack<(DirectoryInfo Dir, FdtNode Node, int Depth)>();
        stack.Push((rootInfo, root, 0));
        long bytes = 0;
        int nodes = 1, props = 0;
        while (stack.Count > 0)
        {
            var (d, node, depth) = stack.Pop();
            var entries = d.EnumerateFileSystemInfos().OrderBy(e => e.Name, StringComparer.Ordinal).ToList();
            foreach (var e in entries)
            {
                var where = System.IO.Path.GetRelativePath(rootInfo.FullName, e.FullName);
                if (e.LinkTarget is not null) throw new DeviceTreeException(where, "is a symbolic link; a device-tree folder holds only folders and regular files");
                if (e.Name.Length > FdtLimits.MaxNameBytes) throw new DeviceTreeException(where, $"a name longer than {FdtLimits.MaxNameBytes}");
                if (e is DirectoryInfo sub)
                {
                    if (++nodes > FdtLimits.MaxNodes) throw new DeviceTreeException(where, $"more than {FdtLimits.MaxNodes} nodes");
                    if (depth + 1 > FdtLimits.MaxDepth) throw new DeviceTreeException(where, $"nodes nested deeper than {FdtLimits.MaxDepth}");
                    stack.Push((sub, new FdtNode(sub.Name, node), depth + 1));
                }
                // FileAttributes say nothing of FIFOs on Linux: the file's type comes from statx. A FIFO
                // would block the open for good; a device could stream without end.
                else if (e is FileInfo f && (f.Attributes & FileAttributes.ReparsePoint) == 0 && !Yaml.InputFiles.IsSpecial(f.FullName))
                {
                    if (f.Name == "name") continue; // the kernel's own copy of the node name, not a DT property
                    if (++props > FdtLimits.MaxProperties) throw new DeviceTreeException(where, $"more than {FdtLimits.MaxProperties} properties");
                    bytes += f.Length;
                    if (f.Length > FdtLimits.MaxBytes || bytes > FdtLimits.MaxBytes) throw new DeviceTreeException(where, $"the tree holds more than {FdtLimits.MaxBytes >> 20} MiB");
                    using var s = new FileStream(f.FullName, FileMode.Open, FileAccess.Read, FileShare.Read, 4096, FileOptions.None);
                    var buf = new byte[(int)f.Length];
                    s.ReadExactly(buf);
                    node.Add(f.Name, buf);
                }
                else throw new DeviceTreeException(where, "is neither a folder nor a regular file");
            }
        }
        return root;
    }
}
