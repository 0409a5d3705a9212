using System.Text;
using ScenarioEngine.Drivers;
using ScenarioEngine.Model;
using ScenarioEngine.Yaml;

namespace ScenarioEngine.Config;

/// <summary>docs/catalogue.md: every compatible of every family's catalogue, what it fills in and where it comes from (GeneratedDocsTests keeps the page equal to this).</summary>
public static class CatalogueDoc
{
    public static string Write()
    {
        var sb = new StringBuilder();
        sb.Append("# The platform catalogue\n\n");
        sb.Append("Generated from the engine's catalogue (each family's compatibles, `Engine/Drivers/*/`); do not edit by\n");
        sb.Append("hand. An IOMMU written as `compatible: \"…\"` gets every key below; a key written beside it\n");
        sb.Append("overrides the catalogue's, and the report's IOMMU table says which were overridden\n");
        sb.Append("(docs/your-board.md). In YAML flow style (`{ … }`) quote the compatible: its comma would end the value.\n\n");
        sb.Append("| compatible | driver | type | flags | banks | IOVA regions | from |\n|---|---|---|---|---|---|---|\n");
        foreach (var (family, e) in Families.All.SelectMany(f => f.Compatibles.Select(e => (f, e))))
        {
            var keys = CompatibleMerge.EntryKeys(e);
            string Scalar(string k) => keys.Entries.FirstOrDefault(x => x.Key.Value == k).Value is YamlScalar s ? s.Value : "—";
            int Count(string k) => keys.Entries.FirstOrDefault(x => x.Key.Value == k).Value is YamlSequence q ? q.Items.Count : 0;
            var flags = keys.Entries.FirstOrDefault(x => x.Key.Value == "flags").Value is YamlSequence f ? string.Join(", ", f.Items.OfType<YamlScalar>().Select(x => x.Value)) : "";
            var banks = Scalar("banks") == "—" ? (e.Required.Contains("banks") ? "from the hardware" : "—") : Scalar("banks");
            var regions = Count("regions") is > 0 and var n ? n.ToString(System.Globalization.CultureInfo.InvariantCulture) : family.CatalogueRegionsWhenNone;
            sb.Append($"| `{e.Compatible}` | {Scalar("driver")} | {Scalar("type")} | {(flags.Length == 0 ? "—" : flags)} | {banks} | {regions} | {Cell(e.Source)} |\n");
        }
        sb.Append("\n## What each entry fills in\n");
        foreach (var e in Families.AllCompatibles)
        {
            sb.Append($"\n### `{e.Compatible}`\n\n");
            sb.Append($"From {e.Source}.");
            if (e.Required.Count > 0) sb.Append($" The SoC file must also give {string.Join(" and ", e.Required.Select(r => $"`{r}`"))} (the hardware's ID registers say them, not the compatible).");
            if (e.Note is { } note) sb.Append(' ').Append(char.ToUpperInvariant(note[0])).Append(note[1..]).Append('.');
            if (e.Refusal is { } refusal) sb.Append($" **Refused as written:** {refusal}; give {string.Join(" or ", e.RefusalCuredBy.Select(k => $"`{k}`"))} beside it to model a fixed kernel.");
            sb.Append("\n\n```yaml\n").Append(e.Yaml).Append("\n```\n");
        }
        return sb.ToString();
    }

    private static string Cell(string s) => Display.Clip(s, 200).Replace("|", "\\|", StringComparison.Ordinal);
}
