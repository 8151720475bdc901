using System.Collections.Immutable;
using System.Runtime.InteropServices;

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
    internal long NextId { get; private init; } = 1;

    /// <summary>True between SessionSuspended and SessionReconnected.</summary>
    internal bool Suspended { get; private init; }

    /// <summary>The creates of the start, in the order they must be applied.</summary>
    internal ImmutableArray<SetupCreate> Setup { get; private init; } = ImmutableArray<SetupCreate>.Empty;

    /// <summary>What the member is doing now.</summary>
    internal Phase Phase { get; private init; } = new FailedPhase();

    /// <summary>Every lock node this member has or may have.</summary>
    internal LockLedger Ledger { get; private init; } = LockLedger.Empty;

    /// <summary>
    /// Items whose lock folder this member has seen or created. Folders are never deleted by the recipe, so a
    /// round whose share is all known sends no folder create; a NoNode on a lock create or folder read (a folder
    /// deleted by hand) forgets the item and creates its folder again.
    /// </summary>
    internal KnownFolders KnownFolders { get; private init; } = KnownFolders.None;

    /// <summary>
    /// True once this member has been Acquired. Every member of that stable party then had its share's folders
    /// created, so from now on every folder is presumed to exist: a round sends no folder create, and a folder
    /// that is missing (its member failed before creating it, or it was deleted by hand) costs a NoNode on the
    /// lock multi; that folder, and those of the ops after it in the multi (which ZooKeeper did not try) that this
    /// member has not seen, are then created with their lock nodes in batches, as for unknown folders.
    /// </summary>
    internal bool WasAcquired { get; private init; }

    /// <summary>Cooperative mode: the share last computed and the items being revoked; <see cref="HandOff.None"/> in eager mode.</summary>
    internal HandOff HandOff { get; private init; } = HandOff.None;

    /// <summary>The timer that retries work lost to ConnectionLoss while not suspended.</summary>
    internal long? RetryTimerId { get; private init; }

    /// <summary>Retries in a row since the last reconnect or acquisition: how far the retry delay has backed off.</summary>
    internal int RetryBackoff { get; private init; }

    /// <summary>
    /// True when no lock node of this member is being created or deleted, and none may exist that it does not
    /// know of (a create or delete lost with the connection). In Failure, the cleanup is done once this holds.
    /// </summary>
    public bool LockNodesSettled => Ledger.IsSettled;

    /// <summary>
    /// The state of a member that is not started yet, for a shell to hold until <see cref="Decider.Start"/> returns the
    /// first one: Allocating, state id 0, no items. No decision is ever made on it.
    /// </summary>
    public static MemberState Unstarted(PartitionerConfig config)
    {
        ArgumentNullException.ThrowIfNull(config);
        return new MemberState { Config = config };
    }

    /// <summary>
    /// This state stopped in Failure with <paramref name="reason"/>, for a shell whose decider threw and that stops the member
    /// there rather than decide on a state it can no longer trust: no items; the state id grows by one unless it was in
    /// Failure already.
    /// </summary>
    public MemberState Halted(string reason)
    {
        ArgumentException.ThrowIfNullOrEmpty(reason);
        return Failed(reason);
    }

    /// <summary>The state a member starts from: Allocating, state id 0, with the creates of <paramref name="setup"/> to send.</summary>
    internal static MemberState Initial(PartitionerConfig config, ImmutableArray<SetupCreate> setup) => new()
    {
        Config = config,
        PartitionState = PartitionState.Allocating,
        StateId = 0,
        Setup = setup,
    };

    // Evolve: each method records one fact and returns the new state; the deciders choose the commands.

    /// <summary>Moved to <paramref name="next"/> owning <paramref name="owned"/>; the state id grows by one when the state actually changes.</summary>
    internal MemberState MovedTo(PartitionState next, ImmutableArray<OwnedItem> owned) => MovedTo(next, owned, NamesOf(owned));

    /// <summary>
    /// As <see cref="MovedTo(PartitionState, ImmutableArray{OwnedItem})"/>, with <paramref name="names"/> the names of
    /// <paramref name="owned"/> in order, kept as they are: a round's share is those names, and 100,000 held items then
    /// cost no second array of them.
    /// </summary>
    internal MemberState MovedTo(PartitionState next, ImmutableArray<OwnedItem> owned, ImmutableArray<string> names)
    {
        if (names.Length != owned.Length)
        {
            throw new ArgumentException($"{names.Length} names were given for {owned.Length} owned items.", nameof(names));
        }

        return this with
        {
            PartitionState = next,
            StateId = next == PartitionState ? StateId : StateId + 1,
            AcquiredItems = names,
            OwnedItems = owned,
        };
    }

    /// <summary>The names of <paramref name="owned"/>, in order, in an array of their exact length.</summary>
    private static ImmutableArray<string> NamesOf(ImmutableArray<OwnedItem> owned)
    {
        if (owned.IsEmpty)
        {
            return [];
        }

        var names = new string[owned.Length];
        for (int i = 0; i < names.Length; i++)
        {
            names[i] = owned[i].Name;
        }

        return ImmutableCollectionsMarshal.AsImmutableArray(names);
    }

    /// <summary>
    /// Failed for <paramref name="reason"/> (terminal): no items, no phase. The state id grows by one unless the member
    /// was in Failure already.
    /// </summary>
    internal MemberState Failed(string reason) => this with
    {
        PartitionState = PartitionState.Failure,
        StateId = PartitionState == PartitionState.Failure ? StateId : StateId + 1,
        AcquiredItems = [],
        OwnedItems = [],
        FailureReason = reason,
        Phase = new FailedPhase(),
    };

    /// <summary>Op and timer ids up to <paramref name="nextId"/> (exclusive) were given out.</summary>
    internal MemberState IdsTakenUpTo(long nextId) => this with { NextId = nextId };

    /// <summary>The member is now doing <paramref name="phase"/>.</summary>
    internal MemberState InPhase(Phase phase) => this with { Phase = phase };

    /// <summary>The ledger of lock nodes is now <paramref name="ledger"/> (its own evolve methods name what changed).</summary>
    internal MemberState WithLedger(LockLedger ledger) => this with { Ledger = ledger };

    /// <summary>The session is gone, and every ephemeral node of this member with it: no lock node is left to track.</summary>
    internal MemberState LockNodesGoneWithSession() => this with { Ledger = LockLedger.Empty };

    /// <summary>The creates of the start are now <paramref name="setup"/> (each changed through its own evolve methods).</summary>
    internal MemberState WithSetup(ImmutableArray<SetupCreate> setup) => this with { Setup = setup };

    /// <summary>The folders of <paramref name="items"/> were seen or created.</summary>
    internal MemberState FoldersSeen(Edit edit, IEnumerable<string> items) => this with { KnownFolders = KnownFolders.With(edit, Config, items) };

    /// <summary>The folders of <paramref name="items"/> were found missing: they are no longer known.</summary>
    internal MemberState FoldersFoundMissing(Edit edit, IEnumerable<string> items) => this with { KnownFolders = KnownFolders.Without(edit, Config, items) };

    /// <summary>The session was suspended (the connection is lost).</summary>
    internal MemberState SessionSuspended() => this with { Suspended = true };

    /// <summary>The session is connected again.</summary>
    internal MemberState SessionReconnected() => this with { Suspended = false };

    /// <summary>The retry timer <paramref name="timerId"/> runs.</summary>
    internal MemberState RetryTimerStarted(long timerId) => this with { RetryTimerId = timerId };

    /// <summary>The retry timer fired or was cancelled.</summary>
    internal MemberState RetryTimerEnded() => this with { RetryTimerId = null };

    /// <summary>One more retry in a row: the next retry delay doubles, up to <paramref name="doublingsMax"/> doublings.</summary>
    internal MemberState RetryBackedOff(int doublingsMax) => this with { RetryBackoff = Math.Min(RetryBackoff + 1, doublingsMax) };

    /// <summary>The retry delay starts over (a reconnect or an acquisition).</summary>
    internal MemberState RetryBackoffReset() => this with { RetryBackoff = 0 };

    /// <summary>The cooperative bookkeeping is now <paramref name="handOff"/> (its own evolve methods name what changed).</summary>
    internal MemberState WithHandOff(HandOff handOff) => this with { HandOff = handOff };

    /// <summary>Every lock of the share is held: from now on every folder is presumed to exist.</summary>
    internal MemberState AcquiredOnce() => this with { WasAcquired = true };
}
