using System.Globalization;
using Partitioner.Simulation.Model;

namespace Partitioner.Simulation.Checks;

/// <summary>
/// A downstream store that every simulated consumer writes to with its items' fencing tokens, the check that it
/// never accepts a write from a stale owner, and the record of work overlap (an item's work running in two members
/// at one instant), which is reported apart.
/// </summary>
/// <remarks>
/// <para>The store's rule, as the README tells users to write theirs: per item it keeps the highest token it has
/// seen and refuses any write whose token is below it. A consumer registers each item with its token when its work
/// on the set begins (a write like any other), then writes at points during the work, including right after a pause.</para>
/// <para>The check does not trust the tokens: it judges each accepted write against the server's lock history. A
/// write is stale when, at the instant the store accepts it, the writer's session does not hold the item's lowest
/// lock node, and the session that does hold it has already registered the item since that node was created (a
/// later owner has begun its work). Correct tokens make the store refuse every such write, since the later owner's
/// node was created after anything the writer held; a broken token (a constant, say) lets one through, and the run
/// fails with <see cref="ViolationKind.StaleWrite"/>.</para>
/// </remarks>
internal sealed class FencedStore
{
    private readonly InMemoryZooKeeper _server;
    private readonly string _locksPath;
    private readonly Dictionary<string, long> _highest = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<long, long>> _registeredAtZxid = new(StringComparer.Ordinal);
    private readonly Dictionary<string, Dictionary<string, TimeSpan>> _working = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TimeSpan> _overlapSince = new(StringComparer.Ordinal);

    public FencedStore(InMemoryZooKeeper server, string locksPath)
    {
        _server = server;
        _locksPath = locksPath;
    }

    /// <summary>Writes the store accepted.</summary>
    public long Accepted { get; private set; }

    /// <summary>Writes the store refused because their token was below the highest it had seen for the item.</summary>
    public long Refused { get; private set; }

    /// <summary>How many times an item's work began in a member while it ran in another.</summary>
    public int WorkOverlaps { get; private set; }

    /// <summary>The longest stretch of time an item's work ran in two members or more.</summary>
    public TimeSpan WorkOverlapLongest { get; private set; }

    /// <summary>The first stale write accepted; null while there is none.</summary>
    public Violation? Violation { get; private set; }

    /// <summary>A consumer's work on <paramref name="item"/> begins: its first write, with the token, registers it.</summary>
    public bool Register(string writer, long session, string item, long token, TimeSpan now) =>
        Accept(writer, session, item, token, now, register: true);

    /// <summary>A write of the work on <paramref name="item"/>; true when the store accepted it.</summary>
    public bool Write(string writer, long session, string item, long token, TimeSpan now) =>
        Accept(writer, session, item, token, now, register: false);

    /// <summary>The work of <paramref name="writer"/> runs on <paramref name="item"/> from <paramref name="now"/>.</summary>
    public void WorkStarted(string writer, string item, TimeSpan now)
    {
        if (!_working.TryGetValue(item, out var workers))
        {
            _working[item] = workers = new Dictionary<string, TimeSpan>(StringComparer.Ordinal);
        }

        workers[writer] = now;
        if (workers.Count == 2)
        {
            WorkOverlaps++;
            _overlapSince[item] = now;
        }
        else if (workers.Count > 2)
        {
            WorkOverlaps++;
        }
    }

    /// <summary>The work of <paramref name="writer"/> on <paramref name="item"/> stopped at <paramref name="now"/>.</summary>
    public void WorkStopped(string writer, string item, TimeSpan now)
    {
        if (!_working.TryGetValue(item, out var workers) || !workers.Remove(writer))
        {
            return;
        }

        if (workers.Count == 1 && _overlapSince.Remove(item, out var since) && now - since > WorkOverlapLongest)
        {
            WorkOverlapLongest = now - since;
        }
    }

    private bool Accept(string writer, long session, string item, long token, TimeSpan now, bool register)
    {
        if (register)
        {
            // The work began, whether or not the store takes its token: a later owner refused still makes
            // what its predecessor writes from now on stale.
            if (!_registeredAtZxid.TryGetValue(item, out var sessions))
            {
                _registeredAtZxid[item] = sessions = new Dictionary<long, long>();
            }

            sessions[session] = _server.LastZxid;
        }

        bool accepted = !_highest.TryGetValue(item, out long top) || token >= top;
        if (!accepted)
        {
            Refused++;
            return false;
        }

        Accepted++;
        _highest[item] = token;
        Violation ??= Judge(writer, session, item, token, now);
        return true;
    }

    /// <summary>The independent judgement of an accepted write against the server's lock history (see the remarks).</summary>
    private Violation? Judge(string writer, long session, string item, long token, TimeSpan now)
    {
        if (Holder(item) is not { } holder || holder.EphemeralOwner == session)
        {
            return null;
        }

        if (!_registeredAtZxid.TryGetValue(item, out var sessions)
            || !sessions.TryGetValue(holder.EphemeralOwner, out long registeredAt)
            || registeredAt < holder.Czxid)
        {
            return null;
        }

        return new Violation(ViolationKind.StaleWrite, now, string.Create(CultureInfo.InvariantCulture,
            $"item {item}: the store accepted a write from {writer} (session 0x{session:x}) with token {token}, while session "
            + $"0x{holder.EphemeralOwner:x} holds the lowest lock node {holder.Name} (created at zxid {holder.Czxid}) and had registered the item"));
    }

    /// <summary>The item's lowest lock node on the server now, or null when its folder has none.</summary>
    private ZNode? Holder(string item)
    {
        if (_server.Find(_locksPath + "/" + item) is not { } folder)
        {
            return null;
        }

        ZNode? lowest = null;
        string? lowestSequence = null;
        foreach (var name in folder.ChildNames)
        {
            int at = name.LastIndexOf("__lock__", StringComparison.Ordinal);
            if (at < 0)
            {
                continue;
            }

            string sequence = name[(at + "__lock__".Length)..];
            if (lowestSequence is null || string.CompareOrdinal(sequence, lowestSequence) < 0)
            {
                (lowest, lowestSequence) = (folder.Child(name), sequence);
            }
        }

        return lowest;
    }
}
