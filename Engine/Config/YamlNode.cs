using ScenarioEngine.Model;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace ScenarioEngine.Config;

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
    /// <summary>Parses one document; duplicate keys are errors (YAML 1.2 requires unique keys).</summary>
    public static YamlNode Parse(string text, string file)
    {
        var parser = new Parser(new StringReader(text));
        var anchors = new Dictionary<string, YamlNode>(StringComparer.Ordinal);
        try
        {
            parser.Consume<StreamStart>();
            if (parser.Accept<StreamEnd>(out _))
                throw Error(ErrorCode.YamlSyntax, "the file is empty", new SourceSpan(file, 1, 1));
            parser.Consume<DocumentStart>();
            var root = ReadNode(parser, file, anchors);
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
        catch (InvalidOperationException)
        {
            // YamlDotNet 18 throws this (not a YamlException) from its scanner when a flow collection
            // is left open at the end of the input, e.g. a '# comment' that swallowed the closing '}'.
            var at = parser.Current is { } ev ? At(file, ev.Start) : new SourceSpan(file, text.Count(c => c == '\n') + 1, 1);
            throw Error(ErrorCode.YamlSyntax, "the YAML ends inside an unclosed flow collection ('{' or '['; a '#' comment on the same line hides what follows it)", at);
        }
    }

    private static YamlNode ReadNode(IParser parser, string file, Dictionary<string, YamlNode> anchors)
    {
        if (parser.TryConsume<AnchorAlias>(out var alias))
        {
            if (!anchors.TryGetValue(alias.Value.Value, out var target))
                throw Error(ErrorCode.YamlSyntax, $"unknown alias *{alias.Value.Value}", At(file, alias.Start));
            return target;
        }
        YamlNode node;
        string? anchor = null;
        if (parser.TryConsume<Scalar>(out var scalar))
        {
            anchor = scalar.Anchor.IsEmpty ? null : scalar.Anchor.Value;
            bool block = scalar.Style is ScalarStyle.Literal or ScalarStyle.Folded;
            node = new YamlScalar(scalar.Value, block || scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted, At(file, scalar.Start), block);
        }
        else if (parser.TryConsume<SequenceStart>(out var seqStart))
        {
            anchor = seqStart.Anchor.IsEmpty ? null : seqStart.Anchor.Value;
            var items = new List<YamlNode>();
            while (!parser.TryConsume<SequenceEnd>(out _))
                items.Add(ReadNode(parser, file, anchors));
            node = new YamlSequence(items, At(file, seqStart.Start));
        }
        else if (parser.TryConsume<MappingStart>(out var mapStart))
        {
            anchor = mapStart.Anchor.IsEmpty ? null : mapStart.Anchor.Value;
            var entries = new List<KeyValuePair<YamlScalar, YamlNode>>();
            var seen = new Dictionary<string, SourceSpan>(StringComparer.Ordinal);
            while (!parser.TryConsume<MappingEnd>(out _))
            {
                var keyNode = ReadNode(parser, file, anchors);
                if (keyNode is not YamlScalar key)
                    throw Error(ErrorCode.WrongType, "a mapping key must be a plain scalar", keyNode.Span);
                if (seen.TryGetValue(key.Value, out var first))
                    throw Error(ErrorCode.DuplicateKey, $"duplicate key '{key.Value}' (first at line {first.Line})", key.Span);
                seen[key.Value] = key.Span;
                var value = ReadNode(parser, file, anchors);
                entries.Add(new(key, value));
            }
            node = new YamlMapping(entries, At(file, mapStart.Start));
        }
        else
        {
            var ev = parser.Current!;
            throw Error(ErrorCode.YamlSyntax, $"unexpected {ev.GetType().Name}", At(file, ev.Start));
        }
        if (anchor is not null) anchors[anchor] = node;
        return node;
    }

    internal static SourceSpan At(string file, Mark mark) => new(file, (int)mark.Line, (int)mark.Column);

    internal static ScenarioLoadException Error(ErrorCode code, string message, SourceSpan where) =>
        new(new ScenarioError(code, message, where));
}
