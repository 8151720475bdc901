namespace Partitioner.ZooKeeper;

/// <summary>
/// The partitioner reached Failure without being asked to finish: its session expired, or an error the
/// recipe cannot get past. Create a new partitioner to take part again.
/// </summary>
public sealed class PartitionerFailedException : Exception
{
    /// <summary>Creates the exception with the partitioner's failure reason.</summary>
    /// <param name="reason">Why the partitioner failed; null when Core gave no reason.</param>
    public PartitionerFailedException(string? reason)
        : base($"The partitioner failed: {reason ?? "no reason given"}.")
    {
        Reason = reason;
    }

    /// <summary>Why the partitioner failed, as Core reported it.</summary>
    public string? Reason { get; }
}
