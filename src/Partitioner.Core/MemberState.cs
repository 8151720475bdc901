using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>One member's immutable state.</summary>
public sealed record MemberState
{
    /// <summary>The configuration the member was started with.</summary>
    public required PartitionerConfig Config { get; init; }

    /// <summary>The kazoo-compatible state.</summary>
    public PartitionState State { get; init; }

    /// <summary>Increases by one on every change of <see cref="State"/>.</summary>
    public long StateId { get; init; }

    /// <summary>The items this member owns; empty unless <see cref="State"/> is Acquired.</summary>
    public ImmutableArray<string> AcquiredItems { get; init; } = ImmutableArray<string>.Empty;

    /// <summary>Why the member is in Failure; null otherwise.</summary>
    public string? FailureReason { get; init; }
}
