using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// One allocation: the share computed from one stable party snapshot, and the progress of its locks.
/// </summary>
/// <param name="PartyWatchOpId">The watch left by the last party read; when it fires the round aborts.</param>
/// <param name="Share">The items to lock, sorted by code point.</param>
/// <param name="Stage">Where the round is.</param>
/// <param name="Lost">A read or create of the round failed with ConnectionLoss; the round restarts on retry.</param>
internal sealed record Round(long PartyWatchOpId, ImmutableArray<string> Share, RoundStage Stage, bool Lost)
{
    /// <summary>True when <paramref name="item"/> is in the share.</summary>
    public bool Wants(string item) => IndexOf(item) >= 0;

    /// <summary>The index of <paramref name="item"/> in the share, or -1 when it is not in it.</summary>
    public int IndexOf(string item) => Share.BinarySearch(item, CodePointComparer.Instance) is var i and >= 0 ? i : -1;

    /// <summary>A search of the share that is cheap for items in ascending order.</summary>
    public SortedPositions Positions() => new(Share);

    // Evolve.

    /// <summary>The round moved on to <paramref name="next"/>.</summary>
    public Round At(RoundStage next) => this with { Stage = next };

    /// <summary>The round starts again from stage 1 at <paramref name="first"/>; a lost round is no longer lost.</summary>
    public Round Restarted(RoundStage first) => this with { Stage = first, Lost = false };

    /// <summary>The round lost a request with the connection; it waits for a retry.</summary>
    public Round MarkedLost() => this with { Lost = true };
}

/// <summary>A round's progress.</summary>
internal abstract record RoundStage;

/// <summary>
/// Stages 1 and 2: creating the lock folders not known to exist, op id to the folders' items (a multi of creates,
/// or the multiRead of a batch whose creates met NodeExists). <paramref name="Held"/> are the items whose folder was
/// created together with this member's lock node, one array per multi (kept as they came, so that a batch costs one
/// push): that node is the folder's first, so the lock is held without a read.
/// </summary>
internal sealed record CreatingFolders(ImmutableSortedDictionary<long, ImmutableArray<string>> Batches, ImmutableStack<ImmutableArray<string>> Held) : RoundStage
{
    /// <summary>Nothing sent yet.</summary>
    public static CreatingFolders Empty { get; } = new(ImmutableSortedDictionary<long, ImmutableArray<string>>.Empty, ImmutableStack<ImmutableArray<string>>.Empty);
}

/// <summary>
/// Stages 3 and 4: lock nodes created, contenders read, predecessors watched. Items are named by their index in
/// the round's share, so that following 100,000 of them costs an array slot each, not a tree node per change.
/// </summary>
/// <param name="Items">Each item's progress, by share index.</param>
/// <param name="Reads">Reads in flight: op id to the share indices read, in request order.</param>
/// <param name="Watches">Predecessor watches: exists op id to share index.</param>
/// <param name="HeldCount">How many items are held.</param>
/// <param name="TokenReads">Stat reads of this member's lowest nodes in flight: op id to the share indices read, in request order.</param>
/// <param name="NeedingTokens">Share indices of items whose node is the lowest but whose creation zxid is unknown, not yet asked for.</param>
internal sealed record LockingStage(
    ChunkedArray<ItemProgress> Items,
    ImmutableSortedDictionary<long, ImmutableArray<int>> Reads,
    ImmutableSortedDictionary<long, int> Watches,
    int HeldCount,
    ImmutableSortedDictionary<long, ImmutableArray<int>> TokenReads,
    IndexList NeedingTokens) : RoundStage
{
    /// <summary>
    /// Cooperative mode: share indices held since the member last claimed what it holds (see <see cref="CooperativeClaims"/>),
    /// so that each item is claimed the moment it is held at a cost of its own; null in eager mode, which claims the
    /// whole share at once.
    /// </summary>
    public IndexList? Fresh { get; init; }

    /// <summary>
    /// Nothing read yet, for a share of <paramref name="shareLength"/> items; <paramref name="tracksFresh"/> (cooperative
    /// mode) keeps the <see cref="Fresh"/> list. The items' progress is made under <paramref name="edit"/>, which fills it
    /// in place.
    /// </summary>
    public static LockingStage Start(Edit edit, int shareLength, bool tracksFresh = false) => new(
        ChunkedArray<ItemProgress>.Filled(shareLength, UnreadItem.Instance, edit),
        ImmutableSortedDictionary<long, ImmutableArray<int>>.Empty,
        ImmutableSortedDictionary<long, int>.Empty,
        HeldCount: 0,
        ImmutableSortedDictionary<long, ImmutableArray<int>>.Empty,
        IndexList.Empty)
    {
        Fresh = tracksFresh ? IndexList.Empty : null,
    };

    // Evolve. Each takes the decision's edit: within one decision the arrays change in place.

    /// <summary>The folders of the items at <paramref name="indices"/> are being read by <paramref name="opId"/>.</summary>
    public LockingStage ReadSent(Edit edit, long opId, ImmutableArray<int> indices)
    {
        var reading = new ReadingItem(opId);
        var items = Items;
        foreach (int index in indices)
        {
            items = items.SetItem(edit, index, reading);
        }

        return this with { Reads = Reads.Add(opId, indices), Items = items };
    }

    /// <summary>The result of the read <paramref name="opId"/> came back.</summary>
    public LockingStage ReadAnswered(long opId) => this with { Reads = Reads.Remove(opId) };

    /// <summary>This member's node for the item at <paramref name="index"/> is the lowest: the lock is held.</summary>
    public LockingStage Held(Edit edit, int index) => this with
    {
        Items = Items.SetItem(edit, index, HeldItem.Instance),
        HeldCount = HeldCount + 1,
        Fresh = Fresh?.Add(edit, index),
    };

    /// <summary>This member's nodes for the items at <paramref name="indices"/> are the lowest: those locks are held.</summary>
    public LockingStage HeldAll(Edit edit, IReadOnlyList<int> indices)
    {
        var items = Items;
        var fresh = Fresh;
        foreach (int index in indices)
        {
            items = items.SetItem(edit, index, HeldItem.Instance);
            fresh = fresh?.Add(edit, index);
        }

        return indices.Count == 0 ? this : this with { Items = items, HeldCount = HeldCount + indices.Count, Fresh = fresh };
    }

    /// <summary>This member's node for the item at <paramref name="index"/> is the lowest, but its creation zxid (the fencing token) must be read first.</summary>
    public LockingStage NeedsToken(Edit edit, int index) => this with
    {
        Items = Items.SetItem(edit, index, NeedingTokenItem.Instance),
        NeedingTokens = NeedingTokens.Add(edit, index),
    };

    /// <summary>
    /// The stats of the nodes at <paramref name="indices"/> are being read by <paramref name="opId"/>; <paramref name="remaining"/>
    /// still need theirs asked for.
    /// </summary>
    public LockingStage TokenReadSent(Edit edit, long opId, ImmutableArray<int> indices, IndexList remaining)
    {
        var reading = new ReadingTokenItem(opId);
        var items = Items;
        foreach (int index in indices)
        {
            items = items.SetItem(edit, index, reading);
        }

        return this with { TokenReads = TokenReads.Add(opId, indices), NeedingTokens = remaining, Items = items };
    }

    /// <summary>The result of the stat read <paramref name="opId"/> came back.</summary>
    public LockingStage TokenReadAnswered(long opId) => this with { TokenReads = TokenReads.Remove(opId) };

    /// <summary>The item at <paramref name="index"/> waits on <paramref name="predecessor"/>, watched by <paramref name="opId"/>.</summary>
    public LockingStage WatchSent(Edit edit, int index, long opId, string predecessor) => this with
    {
        Items = Items.SetItem(edit, index, new WatchingItem(opId, predecessor)),
        Watches = Watches.Add(opId, index),
    };

    /// <summary>Cooperative mode: every item of <see cref="Fresh"/> is claimed.</summary>
    public LockingStage FreshClaimed() => Fresh is null or { IsEmpty: true } ? this : this with { Fresh = IndexList.Empty };

    /// <summary>The predecessor watch <paramref name="opId"/> fired or is no longer needed.</summary>
    public LockingStage WatchEnded(long opId) => this with { Watches = Watches.Remove(opId) };
}

/// <summary>One item's lock progress.</summary>
internal abstract record ItemProgress;

/// <summary>Not read yet (only until the round's reads are sent, within one decision).</summary>
internal sealed record UnreadItem : ItemProgress
{
    public static UnreadItem Instance { get; } = new();
}

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
