namespace ScenarioEngine.Reporting.Pictures;

/// <summary>The one colour table both writers use: a kind of IOVA stretch → its class name (Mermaid) and fill and stroke.</summary>
public static class PictureStyle
{
    public static IReadOnlyList<IovaKind> Kinds { get; } = Enum.GetValues<IovaKind>();

    public static string Class(IovaKind k) => k switch
    {
        IovaKind.Gap => "gap",
        IovaKind.Window => "window",
        IovaKind.Reserved => "reserved",
        IovaKind.Dma => "dma",
        IovaKind.Mapping => "mapping",
        _ => "fault",
    };

    public static (string Fill, string Stroke) Colours(IovaKind k) => k switch
    {
        IovaKind.Gap => ("#fff", "#bbb"),
        IovaKind.Window => ("#ffe9a8", "#a80"),
        IovaKind.Reserved => ("#ddd", "#666"),
        IovaKind.Dma => ("#d6f5d6", "#383"),
        IovaKind.Mapping => ("#cfe8ff", "#36a"),
        _ => ("#ff8a80", "#b00"),
    };
}
