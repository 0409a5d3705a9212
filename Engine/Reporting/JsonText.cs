using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace ScenarioEngine.Reporting;

/// <summary>The engine's JSON documents as text: indented, UTF-8 without escaping what JSON does not require, LF line ends, a final newline.</summary>
public static class JsonText
{
    public static string Write(Action<Utf8JsonWriter> body)
    {
        using var ms = new MemoryStream();
        using (var w = new Utf8JsonWriter(ms, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
            body(w);
        return Encoding.UTF8.GetString(ms.ToArray()).Replace("\r\n", "\n", StringComparison.Ordinal) + "\n";
    }
}
