using ScenarioEngine.Record;
using System.Text;
using System.Xml;

namespace ScenarioEngine.Reporting;

/// <summary>
/// `--format junit`: JUnit XML as CI systems render it (GitHub, GitLab, Jenkins): one testcase per
/// scenario, classname = topic folder, name = case. A load or script error is an &lt;error&gt;; failed
/// expectations, a changed or a new snapshot are &lt;failure&gt;s carrying the details or the diff.
/// Each testcase's <c>file</c> and <c>line</c> point at its first problem where it is: the error's
/// own location, the failed expectation's own file (the Lua module or script it is in, not the
/// scenario's YAML), the first changed line of the verified snapshot; else the scenario file.
/// <c>time</c> is wall-clock seconds (reporters compute totals from it); it is the only thing
/// that differs between two runs of the same tree.
/// The strict flavour (<see cref="Flavor.Jenkins"/>, `--junit-flavor jenkins`) keeps to the elements and
/// attributes of the Jenkins xUnit plugin's junit-10 schema (schema/junit-jenkins.xsd): no <c>file</c> or
/// <c>line</c>, and one &lt;testsuite&gt; per topic folder with that folder's own totals, for Jenkins xUnit and
/// viewers that repeat one suite's totals under every topic.
/// </summary>
public static class JunitReport
{
    /// <summary>The dialect: the default (one suite, file and line per testcase) or Jenkins' strict one.</summary>
    public enum Flavor { Standard, Jenkins }

    public static string Render(IReadOnlyList<RunResult> results, Flavor flavor = Flavor.Standard)
    {
        var sb = new StringBuilder();
        var settings = new XmlWriterSettings { Indent = true, NewLineChars = "\n", Encoding = new UTF8Encoding(false), OmitXmlDeclaration = false };
        using (var sw = new StringWriterUtf8(sb))
        using (var w = XmlWriter.Create(sw, settings))
        {
            w.WriteStartElement("testsuites");
            w.WriteAttributeString("name", "scenario");
            Totals(w, results);
            if (flavor == Flavor.Jenkins) w.WriteAttributeString("time", Seconds(results.Sum(r => r.Seconds)));
            // Standard: one suite of every scenario. Jenkins: one suite per topic folder, in path order.
            var suites = flavor == Flavor.Jenkins
                ? results.GroupBy(Topic, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal).Select(g => (g.Key, (IReadOnlyList<RunResult>)[.. g]))
                : [("scenarios", results)];
            foreach (var (name, members) in suites)
            {
                w.WriteStartElement("testsuite");
                w.WriteAttributeString("name", X(name));
                Totals(w, members);
                w.WriteAttributeString("skipped", "0");
                w.WriteAttributeString("time", Seconds(members.Sum(r => r.Seconds)));
                foreach (var r in members) Testcase(w, r, flavor);
                w.WriteEndElement();
            }
            w.WriteEndElement();
        }
        return sb.Append('\n').ToString();
    }

    private static void Totals(XmlWriter w, IReadOnlyList<RunResult> results)
    {
        int errors = results.Count(r => r.Error is not null);
        int failures = results.Count(r => r.Error is null && (!r.Passed || r.Snapshot is SnapshotStatus.Changed or SnapshotStatus.New));
        w.WriteAttributeString("tests", results.Count.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteAttributeString("failures", failures.ToString(System.Globalization.CultureInfo.InvariantCulture));
        w.WriteAttributeString("errors", errors.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    /// <summary>A scenario's topic: its folder under scenarios/ ("scenarios" for one directly in it).</summary>
    internal static string Topic(RunResult r)
    {
        var rel = r.Path.StartsWith("scenarios/", StringComparison.Ordinal) ? r.Path["scenarios/".Length..] : r.Path;
        var slash = rel.LastIndexOf('/');
        return slash > 0 ? rel[..slash] : "scenarios";
    }

    private static void Testcase(XmlWriter w, RunResult r, Flavor flavor)
    {
        var rel = r.Path.StartsWith("scenarios/", StringComparison.Ordinal) ? r.Path["scenarios/".Length..] : r.Path;
        var slash = rel.LastIndexOf('/');
        w.WriteStartElement("testcase");
        w.WriteAttributeString("classname", X(Topic(r)));
        w.WriteAttributeString("name", X(Path.GetFileNameWithoutExtension(rel[(slash + 1)..])));
        if (flavor == Flavor.Standard)
        {
            var (file, line) = Location(r);
            w.WriteAttributeString("file", X(file));
            if (line > 0) w.WriteAttributeString("line", line.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }
        w.WriteAttributeString("time", Seconds(r.Seconds));
        if (r.Error is { } e)
        {
            w.WriteStartElement("error");
            w.WriteAttributeString("type", X(e.CodeText));
            w.WriteAttributeString("message", X(e.ToString()));
            w.WriteString(X(e.ToString()));
            w.WriteEndElement();
        }
        else
        {
            if (r.ExpectationsFailed > 0)
            {
                w.WriteStartElement("failure");
                w.WriteAttributeString("type", "expectation");
                w.WriteAttributeString("message", X($"{r.ExpectationsFailed} of {r.ExpectationsPassed + r.ExpectationsFailed} expectation(s) failed"));
                w.WriteString(X(string.Join("\n", r.Log.Expectations.Where(x => !x.Passed).Select(x => $"{ExpectationFile(r, x)}:{x.Line}: {x.Text}" + (x.Detail is null ? "" : $" ({x.Detail})")))));
                w.WriteEndElement();
            }
            if (r.Snapshot == SnapshotStatus.Changed)
            {
                w.WriteStartElement("failure");
                w.WriteAttributeString("type", "snapshot-changed");
                w.WriteAttributeString("message", X($"the report differs from {r.SnapshotPath}"));
                w.WriteString(X(r.Diff ?? ""));
                w.WriteEndElement();
            }
            else if (r.Snapshot == SnapshotStatus.New)
            {
                w.WriteStartElement("failure");
                w.WriteAttributeString("type", "snapshot-new");
                w.WriteAttributeString("message", X($"no approved snapshot yet ({r.SnapshotPath}); review the received report and run 'scenario approve'"));
                w.WriteEndElement();
            }
        }
        w.WriteEndElement();
    }

    /// <summary>Where a CI annotation for this testcase belongs (line 0: the file as a whole).</summary>
    internal static (string File, int Line) Location(RunResult r)
    {
        if (r.Error is { } e) return (e.Where.File, e.Where.Line);
        if (r.Log.Expectations.FirstOrDefault(x => !x.Passed) is { } x) return (ExpectationFile(r, x), x.Line);
        if (r.Snapshot == SnapshotStatus.Changed && r.SnapshotPath is { } snap) return (snap, FirstChangedLine(r.Diff));
        return (r.Path, 0);
    }

    /// <summary>An expectation's own file: its module's chunk, else the scenario's script (the YAML itself when inline).</summary>
    internal static string ExpectationFile(RunResult r, Expectation x) => x.Chunk ?? r.Script ?? r.Path;

    /// <summary>
    /// The verified snapshot's first changed line in a unified diff: the first hunk's start
    /// ("@@ -12,7 +12,8 @@" → 12) plus the context lines before its first '-' or '+'.
    /// </summary>
    internal static int FirstChangedLine(string? diff)
    {
        if (diff is null) return 0;
        int line = -1;
        foreach (var l in diff.Split('\n'))
        {
            if (line < 0)
            {
                if (!l.StartsWith("@@ -", StringComparison.Ordinal)) continue;
                int end = 4;
                while (end < l.Length && char.IsAsciiDigit(l[end])) end++;
                if (end == 4 || end - 4 > 9) return 0;
                line = int.Parse(l.AsSpan(4, end - 4), System.Globalization.CultureInfo.InvariantCulture);
                continue;
            }
            if (l.StartsWith('-') || l.StartsWith('+')) return Math.Max(line, 1);
            if (l.StartsWith("@@", StringComparison.Ordinal)) return Math.Max(line, 1);
            line++;
        }
        return Math.Max(line, 0);
    }

    private static string Seconds(double s) => s.ToString("0.000", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>
    /// Text as XML 1.0 can carry it: characters it forbids (control characters but tab, newline and
    /// return; U+FFFE/U+FFFF; a surrogate without its pair) become visible \uXXXX escapes, so a
    /// message or a report line with an escape sequence never breaks the document.
    /// </summary>
    internal static string X(string? s)
    {
        if (s is null) return "";
        StringBuilder? sb = null;
        for (int i = 0; i < s.Length; i++)
        {
            var c = s[i];
            bool ok = char.IsHighSurrogate(c) ? i + 1 < s.Length && char.IsLowSurrogate(s[i + 1]) : !char.IsLowSurrogate(c) && System.Xml.XmlConvert.IsXmlChar(c);
            if (ok && c != '\r' && !(c >= '\u007f' && c <= '\u009f'))
            {
                sb?.Append(c);
                if (char.IsHighSurrogate(c)) { sb?.Append(s[i + 1]); i++; }
                continue;
            }
            sb ??= new StringBuilder(s, 0, i, s.Length + 16);
            sb.Append("\\u").Append(((int)c).ToString("x4", System.Globalization.CultureInfo.InvariantCulture));
        }
        return sb?.ToString() ?? s;
    }

    private sealed class StringWriterUtf8(StringBuilder sb) : StringWriter(sb, System.Globalization.CultureInfo.InvariantCulture)
    {
        public override Encoding Encoding => new UTF8Encoding(false);
    }
}
