using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// Every lock node this member has or may have, whatever the phase, so that none is ever leaked:
/// nodes known to exist, creates whose outcome is unknown, creates and deletes in flight.
/// </summary>
/// <param name="Nodes">Item to this member's lock node in that item's folder, with its creation zxid where known: the
/// fencing token the member hands out while that node holds the lock. A node re-found by prefix has none until its
/// stat is read. <see cref="OwnNodes"/> and <see cref="Tokens"/> read them by name and by token. Sorted by code point,
/// as shares are, so that a round can walk both together (<see cref="NodeWalk"/>) instead of searching per item.</param>
/// <param name="Uncertain">Items whose lock create failed with ConnectionLoss: a node may exist. A later read of
/// the folder finds it by this member's prefix (kazoo's <c>_find_node</c>), to reuse or delete it.</param>
/// <param name="PendingCreates">Lock creates in flight: op id to items, in request order.</param>
/// <param name="PendingDeletes">Deletes in flight: op id to paths.</param>
/// <param name="LostDeletes">Paths whose delete failed with ConnectionLoss, retried when the connection is back.</param>
/// <param name="Sweeps">Reads of uncertain folders in flight: op id to items.</param>
/// <param name="PendingFirstCreates">Multis that create each item's folder and this member's lock node in it,
/// in flight: op id to items, in request order (two ops per item, the folder first).</param>
/// <param name="Deleting">The paths of <paramref name="PendingDeletes"/>, each once (no delete is sent for a path
/// already being deleted), so that a folder read answered before a delete sent after it does not adopt the node
/// the delete is about to take. A chunked map (the value says nothing) rather than a sorted set: a finish sends
/// deletes for every held node, and a tree node per path, copied along its path at every add and remove, made the
/// finish of 100,000 items a third slower.</param>
internal sealed record LockLedger(
    SortedItemMap<OwnNode> Nodes,
    ImmutableSortedSet<string> Uncertain,
    ImmutableSortedDictionary<long, ImmutableArray<string>> PendingCreates,
    ImmutableSortedDictionary<long, ImmutableArray<string>> PendingDeletes,
    ImmutableSortedSet<string> LostDeletes,
    ImmutableSortedDictionary<long, ImmutableArray<string>> Sweeps,
    ImmutableSortedDictionary<long, ImmutableArray<string>> PendingFirstCreates,
    SortedItemMap<bool> Deleting)
{
    /// <summary>No nodes, nothing in flight.</summary>
    public static LockLedger Empty { get; } = new(
        SortedItemMap<OwnNode>.Empty,
        ImmutableSortedSet.Create<string>(StringComparer.Ordinal),
        ImmutableSortedDictionary<long, ImmutableArray<string>>.Empty,
        ImmutableSortedDictionary<long, ImmutableArray<string>>.Empty,
        ImmutableSortedSet.Create<string>(StringComparer.Ordinal),
        ImmutableSortedDictionary<long, ImmutableArray<string>>.Empty,
        ImmutableSortedDictionary<long, ImmutableArray<string>>.Empty,
        SortedItemMap<bool>.Empty);

    /// <summary>Item to the name of this member's lock node in that item's folder.</summary>
    public OwnNodeNames OwnNodes => new(Nodes);

    /// <summary>Item to the creation zxid of this member's node there, where known.</summary>
    public OwnNodeTokens Tokens => new(Nodes);

    // Evolve: each method records one fact about this member's lock nodes and returns the new ledger.

    /// <summary>Lock creates for <paramref name="items"/> were sent as <paramref name="opId"/>.</summary>
    public LockLedger CreatesSent(long opId, ImmutableArray<string> items) => this with { PendingCreates = PendingCreates.Add(opId, items) };

    /// <summary>Folder-and-lock creates for <paramref name="items"/> were sent as <paramref name="opId"/>.</summary>
    public LockLedger FirstCreatesSent(long opId, ImmutableArray<string> items) => this with { PendingFirstCreates = PendingFirstCreates.Add(opId, items) };

    /// <summary>The result of the folder-and-lock creates <paramref name="opId"/> came back.</summary>
    public LockLedger FirstCreatesAnswered(long opId) => this with { PendingFirstCreates = PendingFirstCreates.Remove(opId) };

    /// <summary>The result of the creates <paramref name="opId"/> came back.</summary>
    public LockLedger CreatesAnswered(long opId) => this with { PendingCreates = PendingCreates.Remove(opId) };

    /// <summary>
    /// This member's nodes are now <paramref name="nodes"/>: the caller added the nodes it adopted to <see cref="Nodes"/>
    /// under its decision's edit, one by one, and records them here in one change.
    /// </summary>
    public LockLedger AdoptedAll(SortedItemMap<OwnNode> nodes) => ReferenceEquals(nodes, Nodes) ? this : this with { Nodes = nodes };

    /// <summary>
    /// The stats of this member's nodes say they were created at these zxids, recorded in one change under
    /// <paramref name="edit"/>; an item without a node is skipped.
    /// </summary>
    public LockLedger TokensRead(Edit edit, IReadOnlyList<(string Item, long CreatedZxid)> read)
    {
        if (read.Count == 0)
        {
            return this;
        }

        var nodes = Nodes;
        foreach (var (item, zxid) in read)
        {
            if (nodes.TryGetValue(item, out var node))
            {
                nodes = nodes.SetItem(edit, item, node.WithToken(zxid));
            }
        }

        return this with { Nodes = nodes };
    }

    /// <summary>
    /// A read of <paramref name="item"/>'s folder showed this member's node there is <paramref name="own"/> (or none); nothing
    /// about it is uncertain any more. A node other than the known one (re-found by prefix) has no token yet.
    /// </summary>
    public LockLedger Resolved(Edit edit, string item, string? own) => this with
    {
        Nodes = own is null
            ? Nodes.Remove(edit, item)
            : Nodes.TryGetValue(item, out var known) && known.IsNamed(own) ? Nodes : Nodes.SetItem(edit, item, OwnNode.Named(own, null)),
        Uncertain = Uncertain.IsEmpty ? Uncertain : Uncertain.Remove(item),
    };

    /// <summary>The nodes of <paramref name="items"/> are being deleted: they are no longer this member's.</summary>
    public LockLedger Forgot(Edit edit, IEnumerable<string> items) => this with { Nodes = Nodes.RemoveRange(edit, items.ToImmutableArray()) };

    /// <summary>Every node is being deleted: none is this member's any more.</summary>
    public LockLedger ForgotAll() => this with { Nodes = SortedItemMap<OwnNode>.Empty };

    /// <summary>Creates of <paramref name="items"/> were lost with the connection: nodes may exist.</summary>
    public LockLedger BecameUncertain(IEnumerable<string> items) => this with { Uncertain = Uncertain.Union(items) };

    /// <summary>A sweep read <paramref name="item"/>'s folder: its uncertainty is settled.</summary>
    public LockLedger Settled(string item) => this with { Uncertain = Uncertain.Remove(item) };

    /// <summary>Deletes of <paramref name="paths"/> were sent as <paramref name="opId"/>, recorded under <paramref name="edit"/>.</summary>
    public LockLedger DeletesSent(Edit edit, long opId, ImmutableArray<string> paths)
    {
        var deleting = Deleting;
        foreach (string path in paths)
        {
            deleting = deleting.SetItem(edit, path, true);
        }

        return this with { PendingDeletes = PendingDeletes.Add(opId, paths), Deleting = deleting };
    }

    /// <summary>The result of the deletes <paramref name="opId"/> came back, recorded under <paramref name="edit"/>.</summary>
    public LockLedger DeletesAnswered(Edit edit, long opId) => PendingDeletes.TryGetValue(opId, out var paths)
        ? this with { PendingDeletes = PendingDeletes.Remove(opId), Deleting = Deleting.RemoveRange(edit, paths) }
        : this;

    /// <summary>True when a delete of <paramref name="path"/> is in flight or waits to be sent again.</summary>
    public bool IsGoing(string path) =>
        (!Deleting.IsEmpty && Deleting.ContainsKey(path)) || (!LostDeletes.IsEmpty && LostDeletes.Contains(path));

    /// <summary>Deletes of <paramref name="paths"/> were lost with the connection and wait to be sent again.</summary>
    public LockLedger DeletesLost(IEnumerable<string> paths) => this with { LostDeletes = LostDeletes.Union(paths) };

    /// <summary>The lost deletes are being sent again.</summary>
    public LockLedger LostDeletesResent() => this with { LostDeletes = LostDeletes.Clear() };

    /// <summary>A sweep of <paramref name="items"/>' folders was sent as <paramref name="opId"/>.</summary>
    public LockLedger SweepSent(long opId, ImmutableArray<string> items) => this with { Sweeps = Sweeps.Add(opId, items) };

    /// <summary>The result of the sweep <paramref name="opId"/> came back.</summary>
    public LockLedger SweepAnswered(long opId) => this with { Sweeps = Sweeps.Remove(opId) };

    /// <summary>True when nothing about lock nodes is pending or unknown (used to finish a release).</summary>
    public bool IsSettled =>
        Uncertain.IsEmpty && PendingCreates.IsEmpty && PendingDeletes.IsEmpty && LostDeletes.IsEmpty && Sweeps.IsEmpty
        && PendingFirstCreates.IsEmpty;
}
