using System.ComponentModel.DataAnnotations;

namespace RunMesh.Approval.Approvals;

/// <summary>The approval service's settings (section <c>Approval</c>).</summary>
public sealed class ApprovalOptions
{
    /// <summary>The configuration section.</summary>
    public const string SectionName = "Approval";

    /// <summary>How often the expiry scan looks for overdue pending requests.</summary>
    [Range(50, 3_600_000)]
    public int ExpiryScanIntervalMilliseconds { get; set; } = 1000;

    /// <summary>How many overdue requests one scan expires (a full batch scans again at once).</summary>
    [Range(1, 10_000)]
    public int ExpiryScanBatchSize { get; set; } = 100;
}

/// <summary>Limits of what clients may send.</summary>
public static class ApprovalLimits
{
    /// <summary>The longest comment a decision may carry.</summary>
    public const int MaxCommentLength = 2000;

    /// <summary>The largest page of <c>GET /api/approvals</c>.</summary>
    public const int MaxPageSize = 200;

    /// <summary>The page size when none is asked for.</summary>
    public const int DefaultPageSize = 50;
}
