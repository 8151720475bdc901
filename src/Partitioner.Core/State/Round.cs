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

    // Evolve.

    /// <summary>The round moved on to <paramref name="next"/>.</summary>
    public Round At(RoundStep next) => this with { Step = next };

    /// <summary>The round starts again from step 1 at <paramref name="first"/>; a lost round is no longer lost.</summary>
    public Round Restarted(RoundStep first) => this with { Step = first, Lost = false };

    /// <summary>The round lost a request with the connection; it waits for a retry.</summary>
    public Round MarkedLost() => this with { Lost = true };
}

/// <summary>A round's progress.</summary>
internal abstract record RoundStep;

/// <summary>
/// Steps 1 and 2: creating the lock folders not known to exist, op id to the folders' items (a multi of creates,
/// or the multiRead of a batch whose creates met NodeExists). <paramref name="Held"/> are the items whose folder
/// was created together with this member's lock node: that node is the folder's first, so the lock is held
/// without a read.
/// </summary>
internal sealed record CreatingFolders(ImmutableSortedDictionary<long, ImmutableArray<string>> Batches, ImmutableSortedSet<string> Held) : RoundStep
{
    /// <summary>Nothing sent yet.</summary>
    public static CreatingFolders Empty { get; } = new(
        ImmutableSortedDictionary<long, ImmutableArray<string>>.Empty,
        ImmutableSortedSet.Create<string>(StringComparer.Ordinal));
}

/// <summary>
/// Steps 3 and 4: lock nodes created, contenders read, predecessors watched.
/// </summary>
/// <param name="Items">Each item's progress.</param>
/// <param name="Reads">Reads in flight: op id to the items read, in request order.</param>
/// <param name="Watches">Predecessor watches: exists op id to item.</param>
/// <param name="HeldCount">How many items are held.</param>
/// <param name="TokenReads">Stat reads of this member's lowest nodes in flight: op id to the items read, in request order.</param>
/// <param name="NeedingTokens">Items whose node is the lowest but whose creation zxid is unknown, not yet asked for.</param>
internal sealed record LockingStep(
    ImmutableSortedDictionary<string, ItemProgress> Items,
    ImmutableSortedDictionary<long, ImmutableArray<string>> Reads,
    ImmutableSortedDictionary<long, string> Watches,
    int HeldCount,
    ImmutableSortedDictionary<long, ImmutableArray<string>> TokenReads,
    ImmutableSortedSet<string> NeedingTokens) : RoundStep
{
    /// <summary>Nothing read yet.</summary>
    public static LockingStep Empty { get; } = new(
        ImmutableSortedDictionary.Create<string, ItemProgress>(StringComparer.Ordinal),
        ImmutableSortedDictionary<long, ImmutableArray<string>>.Empty,
        ImmutableSortedDictionary<long, string>.Empty,
        HeldCount: 0,
        ImmutableSortedDictionary<long, ImmutableArray<string>>.Empty,
        ImmutableSortedSet.Create<string>(StringComparer.Ordinal));

    // Evolve.

    /// <summary>The folders of <paramref name="items"/> are being read by <paramref name="opId"/>.</summary>
    public LockingStep ReadSent(long opId, ImmutableArray<string> items) => this with
    {
        Reads = Reads.Add(opId, items),
        Items = Items.SetItems(items.Select(item => KeyValuePair.Create(item, (ItemProgress)new ReadingItem(opId)))),
    };

    /// <summary>The result of the read <paramref name="opId"/> came back.</summary>
    public LockingStep ReadAnswered(long opId) => this with { Reads = Reads.Remove(opId) };

    /// <summary>This member's node for <paramref name="item"/> is the lowest: the lock is held.</summary>
    public LockingStep Held(string item) => this with { Items = Items.SetItem(item, HeldItem.Instance), HeldCount = HeldCount + 1 };

    /// <summary>This member's node for <paramref name="item"/> is the lowest, but its creation zxid (the fencing token) must be read first.</summary>
    public LockingStep NeedsToken(string item) => this with
    {
        Items = Items.SetItem(item, NeedingTokenItem.Instance),
        NeedingTokens = NeedingTokens.Add(item),
    };

    /// <summary>The stats of <paramref name="items"/>' nodes are being read by <paramref name="opId"/>.</summary>
    public LockingStep TokenReadSent(long opId, ImmutableArray<string> items) => this with
    {
        TokenReads = TokenReads.Add(opId, items),
        NeedingTokens = NeedingTokens.Except(items),
        Items = Items.SetItems(items.Select(item => KeyValuePair.Create(item, (ItemProgress)new ReadingTokenItem(opId)))),
    };

    /// <summary>The result of the stat read <paramref name="opId"/> came back.</summary>
    public LockingStep TokenReadAnswered(long opId) => this with { TokenReads = TokenReads.Remove(opId) };

    /// <summary><paramref name="item"/> waits on <paramref name="predecessor"/>, watched by <paramref name="opId"/>.</summary>
    public LockingStep WatchSent(string item, long opId, string predecessor) => this with
    {
        Items = Items.SetItem(item, new WatchingItem(opId, predecessor)),
        Watches = Watches.Add(opId, item),
    };

    /// <summary>The predecessor watch <paramref name="opId"/> fired or is no longer needed.</summary>
    public LockingStep WatchEnded(long opId) => this with { Watches = Watches.Remove(opId) };
}

/// <summary>One item's lock progress.</summary>
internal abstract record ItemProgress;

/// <summary>The folder's children are being read by <paramref name="OpId"/>.</summary>
internal sealed record ReadingItem(long OpId) : ItemProgress;

/// <summary>Waiting for the predecessor <paramref name="Predecessor"/> to go; <paramref name="OpId"/> left the watch.</summary>
internal sealed record WatchingItem(long OpId, string Predecessor) : ItemProgress;

/// <summary>This member's node has the lowest sequence; its creation zxid is to be read before the lock counts as held.</summary>
internal sealed record NeedingTokenItem : ItemProgress
{
    public static NeedingTokenItem Instance { get; } = new();
}

/// <summary>This member's node has the lowest sequence; its stat is being read by <paramref name="OpId"/> for its creation zxid.</summary>
internal sealed record ReadingTokenItem(long OpId) : ItemProgress;

/// <summary>This member's node has the lowest sequence and its creation zxid is known: the lock is held.</summary>
internal sealed record HeldItem : ItemProgress
{
    public static HeldItem Instance { get; } = new();
}
