namespace Partitioner.Core;

/// <summary>
/// One create of the start: <c>P</c>'s ancestors, <c>P</c>, <c>P/locks</c>, <c>P/party</c> (persistent), then
/// this member's party node (ephemeral). NodeExists counts as done for each.
/// </summary>
/// <param name="Path">The node.</param>
/// <param name="Kind">Persistent, or Ephemeral for the party node.</param>
/// <param name="OpId">The create in flight, or null when done or lost.</param>
/// <param name="Done">The node exists.</param>
internal sealed record SetupCreate(string Path, NodeKind Kind, long? OpId, bool Done)
{
    /// <summary>True when the create failed with ConnectionLoss and must be sent again.</summary>
    public bool Lost => !Done && OpId is null;

    // Evolve.

    /// <summary>The create was sent as <paramref name="opId"/>.</summary>
    public SetupCreate Sent(long opId) => this with { OpId = opId };

    /// <summary>The node exists.</summary>
    public SetupCreate Completed() => this with { OpId = null, Done = true };

    /// <summary>The create was lost with the connection, or the node went: it must be sent again.</summary>
    public SetupCreate Dropped() => this with { OpId = null, Done = false };
}
