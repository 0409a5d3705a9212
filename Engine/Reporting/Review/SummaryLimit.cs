namespace ScenarioEngine.Reporting.Review;

/// <summary>
/// Where a review summary goes and how much fits there: GitHub's job summary takes at most 1 MiB
/// (1,048,576 bytes of UTF-8) per step, a pull-request comment at most 65,536 characters. The
/// comment form starts with a hidden marker line by which a workflow finds its own comment again
/// to update it (one comment per pull request, edited on every push).
/// </summary>
public sealed record SummaryLimit(string Name, long MaxBytes, long MaxChars, string? Marker)
{
    public const long JobSummaryBytes = 1L << 20;
    public const long CommentChars = 65_536;
    /// <summary>The first line of the comment form (an HTML comment: GitHub and GitLab do not show it).</summary>
    public const string CommentMarker = "<!-- scenario-review-summary -->";

    public static SummaryLimit JobSummary { get; } = new("job summary", JobSummaryBytes, long.MaxValue, null);
    public static SummaryLimit Comment { get; } = new("pull-request comment", long.MaxValue, CommentChars, CommentMarker);

    public bool Fits(long bytes, long chars) => bytes <= MaxBytes && chars <= MaxChars;
}
