namespace Partitioner.Core;

/// <summary>A member's state; the same four states as kazoo's <c>SetPartitioner</c>.</summary>
public enum PartitionState
{
    /// <summary>Waiting for the party to be stable, then taking the locks of this member's share.</summary>
    Allocating,

    /// <summary>This member holds the lock of every item in its share; it may work on them.</summary>
    Acquired,

    /// <summary>The party or the connection changed: stop working on the set, then call release.</summary>
    Release,

    /// <summary>Terminal: finished, the session expired, or an error that the recipe cannot get past.</summary>
    Failure,
}
