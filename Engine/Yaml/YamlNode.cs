using ScenarioEngine.Model;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ScenarioEngine.Yaml;

/// <summary>
/// A minimal YAML tree with a location on every node, built from YamlDotNet's parser events so
/// that duplicate keys, wrong types and unknown keys can each be reported at the exact mark.
/// </summary>
internal abstract record YamlNode(SourceSpan Span)
{
    public abstract string Kind { get; }
}

internal sealed record YamlScalar(string Value, bool Quoted, SourceSpan Span, bool Block = false) : YamlNode(Span)
{
    public override string Kind => "a scalar";
    public bool IsNull => !Quoted && (Value is "" or "~" or "null" or "Null" or "NULL");
}

internal sealed record YamlSequence(IReadOnlyList<YamlNode> Items, SourceSpan Span) : YamlNode(Span)
{
    public override string Kind => "a list";
}

internal sealed record YamlMapping(IReadOnlyList<KeyValuePair<YamlScalar, YamlNode>> Entries, SourceSpan Span) : YamlNode(Span)
{
    public override string Kind => "a mapping";
}

internal static class YamlTree
{
    /// <summary>Deepest nesting of mappings and lists a document may have (aliases count at the depth they expand to).</summary>
    public const int MaxDepth = 64;
    /// <summary>Most nodes a document may expand to, counting each alias as a copy of what it names (billion laughs).</summary>
    public const long MaxNodes = 200_000;
    /// <summary>Largest YAML text read, in characters.</summary>
    public const int MaxChars = 4 << 20;

    /// <summary>
    /// Parses one document; duplicate keys are errors (YAML 1.2 requires unique keys). Built with an
    /// explicit stack (no recursion on the document's depth), with the depth, the expanded node count
    /// and the size bounded, each a located SE1001.
    /// </summary>
    public static YamlNode Parse(string text, string file)
    {
        if (text.Length > MaxChars)
            throw Error(ErrorCode.YamlSyntax, $"the file has {text.Length} characters; YAML files are limited to {MaxChars} characters", new SourceSpan(file, 1, 1));
        var parser = new Parser(new StringReader(text));
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
                throw Error(ErrorCode.YamlSyntax, "the file is empty", new SourceSpan(file, 1, 1));
            parser.Consume<DocumentStart>();
            var root = new Builder(file).Read(parser);
            parser.Consume<DocumentEnd>();
            if (!parser.Accept<StreamEnd>(out _))
            {
                var ev = parser.Current!;
                throw Error(ErrorCode.YamlSyntax, "only one YAML document per file is allowed", At(file, ev.Start));
            }
            return root;
        }
        catch (YamlException ex)
        {
            var msg = ex.InnerException?.Message ?? ex.Message;
            // YamlDotNet prefixes "(Lin: x, Col: y, Chr: z) - (...): "; keep only the reason.
            var cut = msg.LastIndexOf("): ", StringComparison.Ordinal);
            if (cut >= 0) msg = msg[(cut + 3)..];
            throw Error(ErrorCode.YamlSyntax, msg.TrimEnd('.'), At(file, ex.Start));
        }
        catch (ArgumentException ex)
        {
            // YamlDotNet validates some tokens (tag handles and URIs) with ArgumentException.
            var at = parser.Current is { } ev ? At(file, ev.Start) : new SourceSpan(file, 1, 1);
            throw Error(ErrorCode.YamlSyntax, Display.Clip(ex.Message.Split(" (Parameter", 2)[0].TrimEnd('.'), 200), at);
        }
        catch (InvalidOperationException)
        {
            // YamlDotNet 18 throws this (not a YamlException) from its scanner when a flow collection
            // is left open at the end of the input, e.g. a '# comment' that swallowed the closing '}'.
            var at = parser.Current is { } ev ? At(file, ev.Start) : new SourceSpan(file, text.Count(c => c == '\n') + 1, 1);
            throw Error(ErrorCode.YamlSyntax, "the YAML ends inside an unclosed flow collection ('{' or '['; a '#' comment on the same line hides what follows it)", at);
        }
    }

    /// <summary>Size facts of a built node: how many nodes it expands to and how deep it reaches below itself.</summary>
    private readonly record struct Extent(long Nodes, int Height);

    /// <summary>One open mapping or list while the document is read.</summary>
    private sealed class Open(SourceSpan span, string? anchor, bool isMap)
    {
        public readonly SourceSpan Span = span;
        public readonly string? Anchor = anchor;
        public readonly bool IsMap = isMap;
        public readonly List<YamlNode> Items = new();
        public readonly List<KeyValuePair<YamlScalar, YamlNode>> Entries = new();
        public readonly Dictionary<string, SourceSpan> Seen = new(StringComparer.Ordinal);
        public YamlScalar? Key;
        public long Nodes = 1;
        public int Height;
    }

    private sealed class Builder(string file)
    {
        private readonly Dictionary<string, (YamlNode Node, Extent Extent)> _anchors = new(StringComparer.Ordinal);
        private readonly Stack<Open> _open = new();
        private long _nodes;

        public YamlNode Read(IParser parser)
        {
            while (true)
            {
                YamlNode node;
                Extent extent;
                if (parser.TryConsume<AnchorAlias>(out var alias))
                {
                    if (!_anchors.TryGetValue(alias.Value.Value, out var target))
                        throw Error(ErrorCode.YamlSyntax, $"unknown alias *{alias.Value.Value}", At(file, alias.Start));
                    (node, extent) = target;
                    Count(extent, At(file, alias.Start), $"alias *{alias.Value.Value}");
                }
                else if (parser.TryConsume<Scalar>(out var scalar))
                {
                    bool block = scalar.Style is ScalarStyle.Literal or ScalarStyle.Folded;
                    node = new YamlScalar(scalar.Value, block || scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted, At(file, scalar.Start), block);
                    extent = new Extent(1, 0);
                    Count(extent, node.Span, "scalar");
                    if (!scalar.Anchor.IsEmpty) _anchors[scalar.Anchor.Value] = (node, extent);
                }
                else if (parser.TryConsume<SequenceStart>(out var seqStart))
                {
                    Push(new Open(At(file, seqStart.Start), seqStart.Anchor.IsEmpty ? null : seqStart.Anchor.Value, false));
                    continue;
                }
                else if (parser.TryConsume<MappingStart>(out var mapStart))
                {
                    Push(new Open(At(file, mapStart.Start), mapStart.Anchor.IsEmpty ? null : mapStart.Anchor.Value, true));
                    continue;
                }
                else if (_open.Count > 0 && (_open.Peek().IsMap ? parser.TryConsume<MappingEnd>(out _) : parser.TryConsume<SequenceEnd>(out _)))
                {
                    var done = _open.Pop();
                    if (done.IsMap && done.Key is not null)
                        throw Error(ErrorCode.YamlSyntax, $"key '{done.Key.Value}' has no value", done.Key.Span);
                    node = done.IsMap ? new YamlMapping(done.Entries, done.Span) : new YamlSequence(done.Items, done.Span);
                    extent = new Extent(done.Nodes, done.Height);
                    _nodes++;
                    if (done.Anchor is not null) _anchors[done.Anchor] = (node, extent);
                }
                else
                {
                    var ev = parser.Current!;
                    throw Error(ErrorCode.YamlSyntax, $"unexpected {ev.GetType().Name}", At(file, ev.Start));
                }
                if (_open.Count == 0) return node;
                Add(_open.Peek(), node, extent);
            }
        }

        private void Push(Open o)
        {
            if (_open.Count >= MaxDepth)
                throw Error(ErrorCode.YamlSyntax, $"nesting deeper than {MaxDepth} levels", o.Span);
            _open.Push(o);
        }

        /// <summary>Counts a leaf or an alias's expansion against the document's node limit, and its depth where it lands.</summary>
        private void Count(Extent e, SourceSpan at, string what)
        {
            if (e.Nodes > 1 && _open.Count + e.Height > MaxDepth)
                throw Error(ErrorCode.YamlSyntax, $"{what} expands to nesting deeper than {MaxDepth} levels", at);
            _nodes += e.Nodes;
            if (_nodes > MaxNodes)
                throw Error(ErrorCode.YamlSyntax, $"the document expands to more than {MaxNodes} nodes (aliases count as copies of what they name)", at);
        }

        private static void Add(Open parent, YamlNode node, Extent e)
        {
            parent.Nodes += e.Nodes;
            parent.Height = Math.Max(parent.Height, e.Height + 1);
            if (!parent.IsMap) { parent.Items.Add(node); return; }
            if (parent.Key is null)
            {
                if (node is not YamlScalar key)
                    throw Error(ErrorCode.WrongType, "a mapping key must be a plain scalar", node.Span);
                if (parent.Seen.TryGetValue(key.Value, out var first))
                    throw Error(ErrorCode.DuplicateKey, $"duplicate key '{Shown(key.Value)}' (first at line {first.Line})", key.Span);
                parent.Seen[key.Value] = key.Span;
                parent.Key = key;
                return;
            }
            parent.Entries.Add(new(parent.Key, node));
            parent.Key = null;
        }
    }

    /// <summary>A user's text as an error message shows it: at most 80 characters, control characters escaped.</summary>
    internal static string Shown(string text) => Display.Clip(text, 80);

    internal static SourceSpan At(string file, Mark mark) => new(file, (int)mark.Line, (int)mark.Column);

    internal static ScenarioLoadException Error(ErrorCode code, string message, SourceSpan where) =>
        new(new ScenarioError(code, message, where));
}
