using System.Collections.Immutable;
using System.Globalization;
using System.Text.Json.Serialization;
using Partitioner.Core;

namespace Partitioner.Cli.Inspect;

/// <summary>A member, from its party node, with what its session holds and waits for.</summary>
internal sealed record MemberRow(string Identifier, string Kind, string Session, string Prefix, double JoinedSecondsAgo, int Holds, int Waits, bool Standby);

/// <summary>A waiter of a lock: who (the member with the node's session, or the session itself) and for how long.</summary>
internal sealed record WaiterRow(string Member, string Session, double WaitedSeconds);

/// <summary>An item: its holder (the lowest lock node) and the waiters behind it, in queue order.</summary>
internal sealed record ItemRow(string Item, string? Holder, string? HolderSession, double? HeldSeconds, ImmutableArray<WaiterRow> Waiters);

/// <summary>A lock node that no member of the party accounts for, and why.</summary>
internal sealed record StrayLockRow(string Path, string Session, string Reason);

/// <summary>An identifier that more than one party node carries.</summary>
internal sealed record DuplicateRow(string Identifier, ImmutableArray<string> Nodes);

/// <summary>One item that a membership change would move.</summary>
internal sealed record MoveRow(string Item, string? From, string? To);

/// <summary>What a join or a leave would do under kazoo's round-robin (Core's default partition function).</summary>
internal sealed record WhatIfReport(string Change, ImmutableArray<string> MembersBefore, ImmutableArray<string> MembersAfter, ImmutableArray<MoveRow> Moves);

/// <summary>What <c>partitioner inspect</c> prints, as a table or as JSON.</summary>
internal sealed record InspectReport(
    string Path,
    string ReadAt,
    int Requests,
    bool ItemsFromLocks,
    ImmutableArray<MemberRow> Members,
    ImmutableArray<ItemRow> Items,
    ImmutableArray<string> Unheld,
    ImmutableArray<StrayLockRow> StrayLocks,
    ImmutableArray<DuplicateRow> Duplicates,
    WhatIfReport? WhatIf)
{
    /// <summary>Builds the report of a snapshot; the what-if, when asked, moves <paramref name="whatIf"/>'s member in or out.</summary>
    public static InspectReport Of(PartySnapshot snapshot, WhatIfChange? whatIf)
    {
        var bySession = snapshot.Party.GroupBy(p => p.Session).ToDictionary(g => g.Key, g => g.ToList());
        var prefixes = snapshot.Party.Select(p => p.Prefix).ToHashSet(StringComparer.Ordinal);
        var allLocks = snapshot.Locks.Values.SelectMany(l => l).ToList();
        var names = snapshot.Party.Select(p => p.Name).ToList();

        var members = snapshot.Party
            .OrderBy(p => p.Identifier, CodePointComparer.Instance).ThenBy(p => p.Name, StringComparer.Ordinal)
            .Select(p => MemberOf(p, snapshot, allLocks, names, bySession))
            .ToImmutableArray();
        var items = snapshot.Items
            .Order(CodePointComparer.Instance)
            .Select(item => ItemOf(item, snapshot, bySession))
            .ToImmutableArray();
        var strays = allLocks
            .Select(l => StrayOf(l, snapshot.Path, bySession, prefixes))
            .OfType<StrayLockRow>()
            .ToImmutableArray();
        var duplicates = snapshot.Party
            .GroupBy(p => p.Identifier, StringComparer.Ordinal)
            .Where(g => g.Count() > 1)
            .Select(g => new DuplicateRow(g.Key, [.. g.Select(p => p.Name).Order(StringComparer.Ordinal)]))
            .OrderBy(d => d.Identifier, CodePointComparer.Instance)
            .ToImmutableArray();
        return new InspectReport(
            snapshot.Path,
            snapshot.ReadAt.ToString("u", CultureInfo.InvariantCulture),
            snapshot.Requests,
            snapshot.ItemsFromLocks,
            members,
            items,
            [.. items.Where(i => i.Holder is null).Select(i => i.Item)],
            strays,
            duplicates,
            whatIf is null ? null : WhatIfOf(whatIf, snapshot));
    }

    private static string Hex(long session) => $"0x{session:x}";

    private static double Age(PartySnapshot snapshot, DateTimeOffset created) =>
        Math.Round(Math.Max(0, (snapshot.ReadAt - created).TotalSeconds), 1);

    /// <summary>
    /// The party node a lock node belongs to: the one with its prefix on its session (a C# member names both alike),
    /// else the only party node of its session (kazoo gives each lock its own prefix); null when none or several.
    /// </summary>
    private static PartyNodeInfo? OwnerOf(LockNodeInfo node, Dictionary<long, List<PartyNodeInfo>> bySession)
    {
        if (!bySession.TryGetValue(node.Session, out var nodes))
        {
            return null;
        }

        return nodes.FirstOrDefault(p => p.Prefix == node.Prefix) ?? (nodes.Count == 1 ? nodes[0] : null);
    }

    private static string Who(LockNodeInfo node, Dictionary<long, List<PartyNodeInfo>> bySession) =>
        OwnerOf(node, bySession)?.Identifier
        ?? (bySession.TryGetValue(node.Session, out var nodes)
            ? "one of " + string.Join("|", nodes.Select(n => n.Identifier).Order(CodePointComparer.Instance))
            : $"(session {Hex(node.Session)})");

    private static MemberRow MemberOf(PartyNodeInfo node, PartySnapshot snapshot, List<LockNodeInfo> locks, List<string> partyNames, Dictionary<long, List<PartyNodeInfo>> bySession)
    {
        var own = locks.Where(l => ReferenceEquals(OwnerOf(l, bySession), node)).ToList();
        var kind = own.Count == 0 ? "-" : own.Any(l => l.Prefix == node.Prefix) ? "csharp" : "kazoo";
        var holds = own.Count(l => ReferenceEquals(snapshot.Locks[l.Item][0], l));
        return new MemberRow(
            node.Identifier, kind, Hex(node.Session), node.Prefix, Age(snapshot, node.Created), holds, own.Count - holds,
            Standby: !PartyMembership.IsActive(partyNames, node.Name));
    }

    private static ItemRow ItemOf(string item, PartySnapshot snapshot, Dictionary<long, List<PartyNodeInfo>> bySession)
    {
        if (!snapshot.Locks.TryGetValue(item, out var queue) || queue.IsEmpty)
        {
            return new ItemRow(item, null, null, null, []);
        }

        var holder = queue[0];
        return new ItemRow(
            item,
            Who(holder, bySession),
            Hex(holder.Session),
            Age(snapshot, holder.Created),
            [.. queue.Skip(1).Select(w => new WaiterRow(Who(w, bySession), Hex(w.Session), Age(snapshot, w.Created)))]);
    }

    private static StrayLockRow? StrayOf(LockNodeInfo node, string path, Dictionary<long, List<PartyNodeInfo>> bySession, HashSet<string> prefixes)
    {
        var full = ZnodePaths.LockFolder(path, node.Item) + "/" + node.Name;
        if (node.Session == 0)
        {
            return new StrayLockRow(full, Hex(0), "it is not ephemeral, so no session ending will remove it");
        }

        if (!bySession.ContainsKey(node.Session))
        {
            return new StrayLockRow(full, Hex(node.Session), $"its session {Hex(node.Session)} has no party node: not a member's lock, or a member that left the party without deleting it");
        }

        // A C# member writes its identifier into its lock nodes and names them with its party node's prefix; kazoo writes nothing.
        if (node.Data.Length > 0 && !prefixes.Contains(node.Prefix))
        {
            return new StrayLockRow(full, Hex(node.Session), $"its prefix {node.Prefix} matches no member's party node (left by an earlier member '{node.Data}' on the same session)");
        }

        return null;
    }

    private static WhatIfReport WhatIfOf(WhatIfChange change, PartySnapshot snapshot)
    {
        var before = PartyMembership.Members(snapshot.Party.Select(p => p.Name));
        var after = change.Join
            ? before.Add(change.Identifier).Distinct(StringComparer.Ordinal).Order(CodePointComparer.Instance).ToImmutableArray()
            : before.Remove(change.Identifier);
        var owners = OwnersUnder(before, snapshot.Items);
        var next = OwnersUnder(after, snapshot.Items);
        var moves = snapshot.Items
            .Order(CodePointComparer.Instance)
            .Where(i => owners.GetValueOrDefault(i) != next.GetValueOrDefault(i))
            .Select(i => new MoveRow(i, owners.GetValueOrDefault(i), next.GetValueOrDefault(i)))
            .ToImmutableArray();
        return new WhatIfReport(change.ToString(), before, after, moves);
    }

    /// <summary>Who owns each item when these members share them, by Core's round-robin function.</summary>
    private static Dictionary<string, string> OwnersUnder(ImmutableArray<string> members, ImmutableArray<string> items)
    {
        var owners = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var member in members)
        {
            foreach (var item in PartitionFunctions.RoundRobin(member, members, items))
            {
                owners[item] = member;
            }
        }

        return owners;
    }
}

/// <summary><c>--what-if join:NAME</c> or <c>leave:NAME</c>.</summary>
internal sealed record WhatIfChange(bool Join, string Identifier)
{
    public override string ToString() => (Join ? "join:" : "leave:") + Identifier;
}

/// <summary>The JSON shape of the report: snake_case names, indented, written by the source generator.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, WriteIndented = true)]
[JsonSerializable(typeof(InspectReport))]
internal sealed partial class InspectJson : JsonSerializerContext;
