using System.Collections.Immutable;
using System.Globalization;
using Partitioner.Simulation.Model;

namespace Partitioner.Simulation.Checks;

/// <summary>
/// Cooperative mode's promise, checked against the server's history rather than the members' word: an item whose owner
/// does not change is never interrupted. Every stop of an item's work is judged when it happens.
/// </summary>
/// <remarks>
/// <para><b>A revocation</b> (an orderly stop: the member gave the item up) is justified only when some party the server
/// had while the work ran (from the work's start to the stop) gives the item to another member under the party's
/// function, or leaves the member out. If every such party gave the item to this member, no correct member could have
/// decided to give it up: the stop interrupted an item that stays, and the run fails with
/// <see cref="ViolationKind.Interruption"/>. The parties are read from the children of <c>P/party</c> at every write
/// that changes them, each with the time from which it stood (not once a step: one step can hold several writes, and a
/// member on a follower may read any of the states between them; CLI soak seed 55614); the function is computed here for each party and
/// member that a stop needs, once.</para>
/// <para>A member whose identifier has two party nodes (restarted while its old session's node is still there) may be
/// the standby one, which takes an empty share: any of its stops is justified while that lasts, and it is not settled.</para>
/// <para><b>A loss</b> (the work must not commit: the member can no longer vouch for its locks) is justified only when the
/// member's partitioner no longer claims ownership at that instant (it left Acquired, or its claim window ran out), or
/// the member is leaving. A loss reported while the member still claims the item is an interruption too.</para>
/// <para>So interrupted items are moved items: the counts printed beside the checks are the hand-off's cost.</para>
/// </remarks>
internal sealed class HandOffChecker
{
    private readonly InMemoryZooKeeper _server;
    private readonly string _partyPath;
    private readonly ImmutableArray<string> _items;
    private readonly Func<string, ImmutableArray<string>, ImmutableArray<string>, ImmutableArray<string>> _function;
    private readonly List<PartySnapshot> _parties = new();
    private readonly Dictionary<(int Party, string Member), HashSet<string>> _shares = new();

    /// <param name="server">The server whose party the members read.</param>
    /// <param name="partyPath">The party's root znode.</param>
    /// <param name="items">Every item, sorted by code point.</param>
    /// <param name="function">The partition function the cooperative members were given.</param>
    public HandOffChecker(
        InMemoryZooKeeper server,
        string partyPath,
        ImmutableArray<string> items,
        Func<string, ImmutableArray<string>, ImmutableArray<string>, ImmutableArray<string>> function)
    {
        _server = server;
        _partyPath = partyPath;
        _items = items;
        _function = function;
    }

    /// <summary>The path of the folder whose children are the party.</summary>
    public string PartyFolder => _partyPath + "/party";

    /// <summary>Items given to a member (an item's work began).</summary>
    public int Assigned { get; private set; }

    /// <summary>Items a member gave up in an orderly hand-off.</summary>
    public int Revoked { get; private set; }

    /// <summary>Items whose work stopped because the member could no longer vouch for its locks, or left.</summary>
    public int Lost { get; private set; }

    /// <summary>The first unjustified stop; null while there is none.</summary>
    public Violation? Violation { get; private set; }

    /// <summary>Reads the party after a write that changed it, and records it when it differs from the last one.</summary>
    public void ObserveParty(TimeSpan now)
    {
        var folder = _server.Find(PartyFolder);
        var (members, doubled) = folder is null ? (ImmutableArray<string>.Empty, ImmutableArray<string>.Empty) : IdentifiersOf(folder.ChildNames);
        if (_parties.Count > 0 && _parties[^1].Members.SequenceEqual(members, StringComparer.Ordinal)
            && _parties[^1].Doubled.SequenceEqual(doubled, StringComparer.Ordinal))
        {
            return;
        }

        _parties.Add(new PartySnapshot(now, members, doubled));
    }

    /// <summary>A member's work on an item began.</summary>
    public void OnAssigned() => Assigned++;

    /// <summary>
    /// The work of <paramref name="member"/> on <paramref name="item"/>, begun at <paramref name="startedAt"/>, stopped at
    /// <paramref name="now"/> because the member gave the item up.
    /// </summary>
    public void OnRevoked(string member, string identifier, string item, TimeSpan startedAt, TimeSpan now)
    {
        Revoked++;
        if (Violation is not null || Justified(identifier, item, startedAt, now))
        {
            return;
        }

        var seen = string.Join("; ", PartiesBetween(startedAt, now).Select(i => $"[{string.Join(", ", _parties[i].Members)}] from {_parties[i].From.TotalSeconds:0.000} s"));
        Violation = new Violation(ViolationKind.Interruption, now, string.Create(CultureInfo.InvariantCulture,
            $"{member} gave up item '{item}' (its work ran from {startedAt.TotalSeconds:0.000} s), though every party the server had meanwhile gives it to {identifier}: {seen}"));
    }

    /// <summary>
    /// The work of <paramref name="member"/> on <paramref name="item"/> stopped at <paramref name="now"/> as lost;
    /// <paramref name="stillClaimed"/> when the member's partitioner still claims ownership then, and it is not leaving.
    /// </summary>
    public void OnLost(string member, string item, bool stillClaimed, string state, TimeSpan now)
    {
        Lost++;
        if (Violation is null && stillClaimed)
        {
            Violation = new Violation(ViolationKind.Interruption, now,
                $"{member} was told item '{item}' was lost while its partitioner still claims ownership ({state})");
        }
    }

    /// <summary>
    /// Whether <paramref name="identifier"/>'s current share under the party the server has now is exactly
    /// <paramref name="owned"/>: the settled state of a cooperative member.
    /// </summary>
    public string? Unsettled(string identifier, IReadOnlyList<string> owned)
    {
        if (_parties.Count == 0)
        {
            return $"{identifier}: no party seen yet";
        }

        if (_parties[^1].Doubled.Contains(identifier))
        {
            return $"{identifier} has two party nodes (a restarted member beside its old session's node)";
        }

        var share = Share(_parties.Count - 1, identifier);
        if (share.Count == owned.Count && owned.All(share.Contains))
        {
            return null;
        }

        return string.Create(CultureInfo.InvariantCulture,
            $"{identifier} owns {owned.Count} items where the function gives it {share.Count} under the party [{string.Join(", ", _parties[^1].Members)}]");
    }

    private bool Justified(string identifier, string item, TimeSpan startedAt, TimeSpan now)
    {
        foreach (int index in PartiesBetween(startedAt, now))
        {
            // Out of the party, on standby behind another node of its identifier (a restarted member whose old
            // session's node is still there takes an empty share), or not given the item.
            var party = _parties[index];
            if (party.Members.BinarySearch(identifier, StringComparer.Ordinal) < 0 || party.Doubled.Contains(identifier)
                || !Share(index, identifier).Contains(item))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>The indices of the parties that stood at some instant of [<paramref name="from"/>, <paramref name="to"/>].</summary>
    private IEnumerable<int> PartiesBetween(TimeSpan from, TimeSpan to)
    {
        for (int i = 0; i < _parties.Count; i++)
        {
            var until = i + 1 < _parties.Count ? _parties[i + 1].From : TimeSpan.MaxValue;
            if (_parties[i].From <= to && until >= from)
            {
                yield return i;
            }
        }
    }

    private HashSet<string> Share(int party, string identifier)
    {
        if (!_shares.TryGetValue((party, identifier), out var share))
        {
            var members = _parties[party].Members;
            share = members.BinarySearch(identifier, StringComparer.Ordinal) < 0
                ? new HashSet<string>(StringComparer.Ordinal)
                : new HashSet<string>(_function(identifier, members, _items), StringComparer.Ordinal);
            _shares[(party, identifier)] = share;
        }

        return share;
    }

    /// <summary>
    /// The members named by party nodes <c>&lt;prefix&gt;-&lt;identifier&gt;</c>: each identifier once, in code-point
    /// (ordinal) order, written here from kazoo's node format rather than taken from Core.
    /// </summary>
    private static (ImmutableArray<string> Members, ImmutableArray<string> Doubled) IdentifiersOf(IEnumerable<string> nodeNames)
    {
        var identifiers = new SortedSet<string>(StringComparer.Ordinal);
        var doubled = new SortedSet<string>(StringComparer.Ordinal);
        foreach (var name in nodeNames)
        {
            var identifier = name[(name.IndexOf('-', StringComparison.Ordinal) + 1)..];
            if (!identifiers.Add(identifier))
            {
                doubled.Add(identifier);
            }
        }

        return ([.. identifiers], [.. doubled]);
    }

    /// <summary>A party as it stood from <paramref name="From"/>: its identifiers, and those with more than one node.</summary>
    private sealed record PartySnapshot(TimeSpan From, ImmutableArray<string> Members, ImmutableArray<string> Doubled);
}
