namespace ScenarioEngine.Scripting;

/// <summary>What an argument of a Lua API function is, as the generic invoker reads and checks it.</summary>
internal enum ArgKind
{
    /// <summary>A device handle (soc.device).</summary>
    Device,
    /// <summary>A domain handle (iommu.domain_alloc, group.domain…).</summary>
    Domain,
    /// <summary>A group handle (device.group).</summary>
    Group,
    /// <summary>An IOVA allocator handle (iova.init_domain).</summary>
    Iovad,
    /// <summary>A page-table handle (pgtable.alloc).</summary>
    Pgtable,
    /// <summary>A domain or a page-table handle (report.pagetable).</summary>
    DomainOrPgtable,
    /// <summary>An integer: a Lua integer, an integral float, or a YAML number string ("16MiB"); recorded in hex from 4096 up.</summary>
    Int,
    /// <summary>An integer recorded in decimal (a count).</summary>
    Count,
    /// <summary>A Lua string.</summary>
    Str,
    /// <summary>A string or a number, as text.</summary>
    Text,
    /// <summary>A prot string: "r", "w", "rw", optionally "|cache", "|noexec", "|mmio", "|priv".</summary>
    Prot,
    /// <summary>One of <see cref="ApiArg.Choices"/>.</summary>
    Enum,
    /// <summary>A Lua function.</summary>
    Function,
    /// <summary>A Lua table, read by the function's body.</summary>
    Table,
    /// <summary>Any value, read as a boolean (nil and false are false).</summary>
    Bool,
    /// <summary>Any value; the body reads and judges it (a name looked up, whose misuse lists the names there are).</summary>
    Any,
}

/// <summary>
/// One argument of a Lua API function: its name (as the annotations in lua/types/scenario.lua give
/// it), its kind, whether it may be nil, and the misuse text when it is wrong. <see cref="Bad"/> is the
/// text inside "bad argument #n to 'f' (…)"; "{got}" in it is replaced by what the script passed.
/// </summary>
internal sealed record ApiArg(string Name, ArgKind Kind, bool Optional = false, string? Bad = null, string[]? Choices = null, string? Annotation = null)
{
    /// <summary>The type the annotations give this parameter (without the optional mark).</summary>
    public string LuaType => Annotation ?? Kind switch
    {
        ArgKind.Device => "Device",
        ArgKind.Domain => "Domain",
        ArgKind.Group => "Group",
        ArgKind.Iovad => "Iovad",
        ArgKind.Pgtable => "PgtableOps",
        ArgKind.DomainOrPgtable => "Domain|PgtableOps",
        ArgKind.Int or ArgKind.Count => "Int",
        ArgKind.Str or ArgKind.Text or ArgKind.Any => "string",
        ArgKind.Prot => "Prot",
        ArgKind.Bool => "boolean",
        ArgKind.Function => "function",
        _ => "table",
    };

    /// <summary>Handles are checked by kind; the misuse message names the kind expected.</summary>
    public HandleKind? Handle => Kind switch
    {
        ArgKind.Device => HandleKind.Device,
        ArgKind.Domain => HandleKind.Domain,
        ArgKind.Group => HandleKind.Group,
        ArgKind.Iovad => HandleKind.Iovad,
        ArgKind.Pgtable => HandleKind.Pgtable,
        ArgKind.DomainOrPgtable => HandleKind.Domain,
        _ => null,
    };
}

/// <summary>Argument shorthands for the API table.</summary>
internal static class Arg
{
    public static ApiArg Device(string name = "dev") => new(name, ArgKind.Device);
    public static ApiArg Domain(string name = "domain") => new(name, ArgKind.Domain);
    public static ApiArg Group(string name = "group") => new(name, ArgKind.Group);
    public static ApiArg Iovad(string name = "iovad") => new(name, ArgKind.Iovad);
    public static ApiArg Pgtable(string name = "ops") => new(name, ArgKind.Pgtable);
    public static ApiArg Int(string name, string? bad = null, bool optional = false) => new(name, ArgKind.Int, optional, bad);
    public static ApiArg Count(string name) => new(name, ArgKind.Count);
    public static ApiArg Str(string name, string bad, string? annotation = null) => new(name, ArgKind.Str, false, bad, null, annotation);
    public static ApiArg Prot(string name, string bad) => new(name, ArgKind.Prot, false, bad);
    public static ApiArg Enum(string name, string[] choices, string bad, bool optional = false, string? annotation = null) => new(name, ArgKind.Enum, optional, bad, choices, annotation);
    public static ApiArg Table(string name, string annotation, string bad, bool optional = false) => new(name, ArgKind.Table, optional, bad, null, annotation);
    public static ApiArg Any(string name, string annotation = "string") => new(name, ArgKind.Any, false, null, null, annotation);
    public static ApiArg Text(string name, string bad) => new(name, ArgKind.Text, false, bad);
    public static ApiArg Function(string name, string bad) => new(name, ArgKind.Function, false, bad, null, "fun(domain: Domain, iommu: IommuInstance?, iova: integer, write: boolean): integer");
    public static ApiArg Bool(string name) => new(name, ArgKind.Bool, true);
}
