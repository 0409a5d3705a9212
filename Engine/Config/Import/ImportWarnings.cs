using System.Globalization;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Text;

namespace ScenarioEngine.Config;

/// <summary>
/// What an importer says the file it writes does not express, bounded: every warning is counted, but
/// only the first <see cref="PerKind"/> of each kind and <see cref="MaxShown"/> in all are kept as
/// text; the rest fold into "… and N more like the one above" after the last one kept of their kind
/// (and one closing line for kinds none of which was kept). A tree that repeats one problem a million
/// times costs a counter, not a million lines. A kind is a short stable name the importer gives each
/// of its warning sites. The text is made safe for a YAML comment and a terminal (<see cref="Clean"/>);
/// warnings that will not be kept are not even formatted (<see cref="Text"/>). Any importer can use it.
/// </summary>
public sealed class ImportWarnings
{
    /// <summary>Warnings of one kind kept as text; more of that kind are counted only.</summary>
    public const int PerKind = 10;
    /// <summary>Warnings kept as text in all.</summary>
    public const int MaxShown = 100;
    /// <summary>Characters of one warning kept (<see cref="Clean"/>).</summary>
    public const int MaxChars = 200;

    private readonly List<(string Kind, string Text)> _kept = [];
    private readonly Dictionary<string, Tally> _kinds = new(StringComparer.Ordinal);

    private sealed class Tally
    {
        public long Given;
        public int Kept;
    }

    /// <summary>Every warning given, kept or folded.</summary>
    public long Count { get; private set; }

    /// <summary>Whether a warning of this kind given now is kept as text (else it is only counted).</summary>
    public bool Keeps(string kind) => _kept.Count < MaxShown && (!_kinds.TryGetValue(kind, out var k) || k.Kept < PerKind);

    public void Add(string kind, string text) => Record(kind, text, Keeps(kind));

    /// <summary>A warning whose text is formatted only when it is kept.</summary>
    public void Add(string kind, [InterpolatedStringHandlerArgument("", "kind")] ref Text text) =>
        Record(kind, text.Kept ? text.ToStringAndClear() : null, text.Kept);

    private void Record(string kind, string? text, bool keep)
    {
        Count++;
        ref var tally = ref CollectionsMarshal.GetValueRefOrAddDefault(_kinds, kind, out _);
        tally ??= new Tally();
        tally.Given++;
        if (!keep) return;
        tally.Kept++;
        _kept.Add((kind, Clean(text!)));
    }

    /// <summary>The lines to show, in the order given: the warnings kept, each kind's fold after its last kept one.</summary>
    public IReadOnlyList<string> Lines()
    {
        var lastKept = new Dictionary<string, int>(StringComparer.Ordinal);
        for (int i = 0; i < _kept.Count; i++) lastKept[_kept[i].Kind] = i;
        var lines = new List<string>(_kept.Count + 4);
        for (int i = 0; i < _kept.Count; i++)
        {
            lines.Add(_kept[i].Text);
            var tally = _kinds[_kept[i].Kind];
            if (lastKept[_kept[i].Kind] == i && tally.Given > tally.Kept) lines.Add($"… and {Number(tally.Given - tally.Kept)} more like the one above");
        }
        long unseen = _kinds.Values.Where(k => k.Kept == 0).Sum(k => k.Given);
        if (unseen > 0) lines.Add($"… and {Number(unseen)} more of other kinds (only the first {MaxShown} warnings are listed)");
        return lines;
    }

    private static string Number(long n) => n.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>Text from an input made safe for a YAML comment or a terminal: printable ASCII, at most <see cref="MaxChars"/> characters and '…'.</summary>
    public static string Clean(string s)
    {
        var sb = new StringBuilder(Math.Min(s.Length, MaxChars + 1));
        foreach (var ch in s)
        {
            if (sb.Length >= MaxChars) { sb.Append('…'); break; }
            sb.Append(ch is >= ' ' and <= '~' ? ch : '?');
        }
        return sb.ToString();
    }

    /// <summary>An interpolated warning: formatted only when <see cref="Keeps"/> says it will be kept.</summary>
    [InterpolatedStringHandler]
    public ref struct Text
    {
        private DefaultInterpolatedStringHandler _inner;

        public Text(int literalLength, int formattedCount, ImportWarnings warnings, string kind, out bool keep)
        {
            Kept = keep = warnings.Keeps(kind);
            _inner = keep ? new DefaultInterpolatedStringHandler(literalLength, formattedCount, CultureInfo.InvariantCulture) : default;
        }

        internal bool Kept { get; }

        public void AppendLiteral(string s) => _inner.AppendLiteral(s);
        public void AppendFormatted<T>(T value) => _inner.AppendFormatted(value);
        public void AppendFormatted<T>(T value, string? format) => _inner.AppendFormatted(value, format);
        public void AppendFormatted(ReadOnlySpan<char> value) => _inner.AppendFormatted(value);
        internal string ToStringAndClear() => _inner.ToStringAndClear();
    }
}
