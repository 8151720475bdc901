using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// One allocation: the share computed from one stable party snapshot, and the progress of its locks.
/// </summary>
/// <param name="PartyWatchOpId">The watch left by the last party read; when it fires the round aborts.</param>
/// <param name="Share">The items to lock, sorted by code point.</param>
/// <param name="Step">Where the round is.</param>
/// <param name="Lost">A read or create of the round failed with ConnectionLoss; the round restarts on retry.</param>
internal sealed record Round(long PartyWatchOpId, ImmutableArray<string> Share, RoundStep Step, bool Lost)
{
    /// <summary>True when <paramref name="item"/> is in the share.</summary>
    public bool Wants(string item) => Share.BinarySearch(item, CodePointComparer.Instance) >= 0;
}

/// <summary>A round's progress.</summary>
internal abstract record RoundStep;

/// <summary>Step 1: one read of <c>P/locks</c> (no watch) to find which lock folders exist.</summary>
internal sealed record ListingFolders(long OpId) : RoundStep;

/// <summary>Step 2: creating the missing lock folders, op id to the folders' items.</summary>
internal sealed record CreatingFolders(ImmutableSortedDictionary<long, ImmutableArray<string>> Batches) : RoundStep;

/// <summary>
/// Steps 3 and 4: lock nodes created, contenders read, predecessors watched.
/// </summary>
/// <param name="Items">Each item's progress.</param>
/// <param name="Reads">Reads in flight: op id to the items read, in request order.</param>
/// <param name="Watches">Predecessor watches: exists op id to item.</param>
/// <param name="HeldCount">How many items are held.</param>
internal sealed record LockingStep(
    ImmutableSortedDictionary<string, ItemProgress> Items,
    ImmutableSortedDictionary<long, ImmutableArray<string>> Reads,
    ImmutableSortedDictionary<long, string> Watches,
    int HeldCount) : RoundStep;

/// <summary>One item's lock progress.</summary>
internal abstract record ItemProgress;

/// <summary>The folder's children are being read by <paramref name="OpId"/>.</summary>
internal sealed record ReadingItem(long OpId) : ItemProgress;

/// <summary>Waiting for the predecessor <paramref name="Predecessor"/> to go; <paramref name="OpId"/> left the watch.</summary>
internal sealed record WatchingItem(long OpId, string Predecessor) : ItemProgress;

/// <summary>This member's node has the lowest sequence: the lock is held.</summary>
internal sealed record HeldItem : ItemProgress
{
    public static HeldItem Instance { get; } = new();
}
