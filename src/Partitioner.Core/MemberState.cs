using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>One member's immutable state.</summary>
/// <remarks>
/// The public members are what the user and the shell read. The internal ones are Core's bookkeeping:
/// the next op id, the session, the setup creates, the current phase and the ledger of lock nodes. States
/// are only ever built by <see cref="Decider.Start"/> and <see cref="Decider.Decide"/>.
/// </remarks>
public sealed record MemberState
{
    /// <summary>The configuration the member was started with.</summary>
    public required PartitionerConfig Config { get; init; }

    /// <summary>The kazoo-compatible state.</summary>
    public PartitionState PartitionState { get; init; }

    /// <summary>Increases by one on every change of <see cref="PartitionState"/>.</summary>
    public long StateId { get; init; }

    /// <summary>The items this member owns; empty unless <see cref="PartitionState"/> is Acquired.</summary>
    public ImmutableArray<string> AcquiredItems { get; init; } = ImmutableArray<string>.Empty;

    /// <summary>The items this member owns with their fencing tokens, in the order of <see cref="AcquiredItems"/>; empty unless Acquired.</summary>
    public ImmutableArray<OwnedItem> OwnedItems { get; init; } = ImmutableArray<OwnedItem>.Empty;

    /// <summary>Why the member is in Failure; null otherwise.</summary>
    public string? FailureReason { get; init; }

    /// <summary>The id the next command or timer gets; op ids and timer ids share this counter.</summary>
    internal long NextId { get; init; } = 1;

    /// <summary>True between SessionSuspended and SessionReconnected.</summary>
    internal bool Suspended { get; init; }

    /// <summary>The creates of the start, in the order they must be applied.</summary>
    internal ImmutableArray<SetupCreate> Setup { get; init; } = ImmutableArray<SetupCreate>.Empty;

    /// <summary>What the member is doing now.</summary>
    internal Phase Phase { get; init; } = new FailedPhase();

    /// <summary>Every lock node this member has or may have.</summary>
    internal LockLedger Ledger { get; init; } = LockLedger.Empty;

    /// <summary>
    /// Items whose lock folder this member has seen or created. Folders are never deleted by the recipe, so a
    /// round whose share is all known sends no folder create; a NoNode on a lock create or folder read (a folder
    /// deleted by hand) forgets the item and creates its folder again.
    /// </summary>
    internal KnownFolders KnownFolders { get; init; } = KnownFolders.None;

    /// <summary>
    /// True once this member has been Acquired. Every member of that stable party then had its share's folders
    /// created, so from now on every folder is presumed to exist: a round sends no folder create, and a folder
    /// that is missing (its member failed before creating it, or it was deleted by hand) costs a NoNode on the
    /// lock multi; that folder, and those of the ops after it in the multi (which ZooKeeper did not try) that this
    /// member has not seen, are then created with their lock nodes in batches, as for unknown folders.
    /// </summary>
    internal bool WasAcquired { get; init; }

    /// <summary>The timer that retries work lost to ConnectionLoss while not suspended.</summary>
    internal long? RetryTimerId { get; init; }

    /// <summary>Retries in a row since the last reconnect or acquisition: how far the retry delay has backed off.</summary>
    internal int RetryBackoff { get; init; }

    /// <summary>
    /// True when no lock node of this member is being created or deleted, and none may exist that it does not
    /// know of (a create or delete lost with the connection). In Failure, the cleanup is done once this holds.
    /// </summary>
    public bool LockNodesSettled => Ledger.IsSettled;
}
