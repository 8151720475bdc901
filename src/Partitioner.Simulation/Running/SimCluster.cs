using System.Collections.Immutable;
using Partitioner.Simulation.Checks;
using Partitioner.Simulation.Faults;
using Partitioner.Simulation.Model;
using Partitioner.Simulation.Network;
using Partitioner.Simulation.Scheduling;

namespace Partitioner.Simulation.Running;

/// <summary>The simulated world of one run: the scheduler, the server, the network and the members.</summary>
internal sealed class SimCluster
{
    /// <summary>The party's root znode.</summary>
    public const string PartyPath = "/partitioner";

    public SimCluster(Scenario scenario, SimulationOptions options)
    {
        Scenario = scenario;
        Options = options;
        var root = new SimRandom(scenario.Seed);
        Random = root.Fork();
        var serverRandom = root.Fork();
        var networkRandom = root.Fork();

        // Drawn from a stream of their own, so that a scenario without drift runs exactly as before drift existed.
        Drift = scenario.ClockDriftPermille > 0 ? root.Fork() : null;
        Server = new InMemoryZooKeeper(Scheduler, serverRandom, TimeSpan.FromMilliseconds(500)) { ClockDriftPpm = DrawDriftPpm() };
        Network = new SimNetwork(Scheduler, networkRandom, Server, scenario.LatencyMax / 10, scenario.LatencyMax, scenario.Servers)
        {
            FrameBytesMax = scenario.FrameBytesMax,
        };
        foreach (var stale in scenario.StaleFolderNames)
        {
            Server.OperatorCreate($"{PartyPath}/locks/{stale}");
        }

        // In code-point order, as a caller with a sorted set passes them; the partitioner then skips its sort.
        Items = scenario.ItemNames.Sort(Partitioner.Core.CodePointComparer.Instance);
        Server.Trace = Trace.Detail;

        // The consumers' writes draw from a stream of their own, so that adding them changed nothing else a seed draws.
        StoreRandom = root.Fork();
        Store = new FencedStore(Server, PartyPath + "/locks");

        // Last, from a stream of its own, as the store's.
        Transients = new TransientReplies(Scheduler, root.Fork(), Trace, scenario.TransientPermille, scenario.FaultPhase);

        // Only where members hand items off: eager parties run exactly as before modes existed.
        HandOffs = scenario.Rebalance == PartyRebalance.Eager
            ? null
            : new HandOffChecker(Server, PartyPath, Items, Partitioner.Core.PartitionFunctions.Sticky);
        if (HandOffs is { } handOffs)
        {
            // Every party the leader passes through, at the instant of the write: a step can hold several (a follower
            // coming back applies a burst of them one by one, and a member on it may read any).
            Server.ChildrenChanged = path =>
            {
                if (string.Equals(path, handOffs.PartyFolder, StringComparison.Ordinal))
                {
                    handOffs.ObserveParty(Scheduler.Now);
                }
            };
        }
    }

    /// <summary>The check of cooperative members' stops; null in an eager party.</summary>
    public HandOffChecker? HandOffs { get; }

    /// <summary>The leader's transient answers to the members' requests (the TransientReplies fault).</summary>
    public TransientReplies Transients { get; }

    /// <summary>The downstream store the consumers write to with their fencing tokens, and its checks.</summary>
    public FencedStore Store { get; }

    /// <summary>When and what the consumers write.</summary>
    public SimRandom StoreRandom { get; }

    public Scenario Scenario { get; }

    public SimulationOptions Options { get; }

    public SimScheduler Scheduler { get; } = new();

    /// <summary>The random stream of the members and the fault injector.</summary>
    public SimRandom Random { get; }

    /// <summary>The stream the clock rates are drawn from; null when the scenario has no drift.</summary>
    private SimRandom? Drift { get; }

    /// <summary>Locks an operator deleted under their holders, which no member can know of in time.</summary>
    public List<OperatorHit> OperatorHits { get; } = new();

    /// <summary>How many times an item was owned twice because an operator had deleted its holder's lock node.</summary>
    public int OperatorOverlaps { get; set; }

    /// <summary>How many lock-agreement checks failed only because an operator had deleted the claim's lock node.</summary>
    public int OperatorLockExemptions { get; set; }

    /// <summary>
    /// True while <paramref name="member"/>'s claim on <paramref name="item"/> can rest only on a lock node an
    /// operator deleted: an operator deleted the lowest contender of its session in that folder, and the session
    /// has no contender there now with the prefix of the member's lock of the item. Once the member creates a new node for the item, the usual checks apply again.
    /// </summary>
    public bool IsOperatorStale(SimMember member, string item)
    {
        if (OperatorHits.Count == 0 || member.Session is not { } session)
        {
            return false;
        }

        foreach (var hit in OperatorHits)
        {
            if (ReferenceEquals(hit.Member, member) && hit.SessionId == session.SessionId && string.Equals(hit.Item, item, StringComparison.Ordinal))
            {
                // Only a node with the prefix of the member's lock of the item counts: a kazoo member's session can have
                // other nodes there (a contender its cleanup left, or a lock of another allocation) that are not its claim.
                var folder = Server.Find($"{PartyPath}/locks/{item}");
                var prefix = member.PrefixFor(item);
                return folder is null || !folder.ChildNames.Any(n =>
                    folder.Child(n)!.EphemeralOwner == session.SessionId && (prefix is null || n.StartsWith(prefix, StringComparison.Ordinal)));
            }
        }

        return false;
    }

    /// <summary>A clock rate in parts per million, within the scenario's drift (0 without drift).</summary>
    public int DrawDriftPpm()
    {
        if (Drift is not { } random)
        {
            return 0;
        }

        long bound = Scenario.ClockDriftPermille * 1_000L;
        return (int)random.Between(-bound, bound);
    }

    public InMemoryZooKeeper Server { get; }

    public SimNetwork Network { get; }

    public ImmutableArray<string> Items { get; }

    public TraceRecorder Trace { get; } = new();

    /// <summary>Every member process ever started, in order of start.</summary>
    public List<SimMember> Members { get; } = new();

    /// <summary>Members that are neither crashed nor leaving, in order of start.</summary>
    public IEnumerable<SimMember> Present => Members.Where(m => m.Present);

    /// <summary>The next free member slot number.</summary>
    public int NextSlot { get; set; }

    /// <summary>True once a kazoo-like member has started.</summary>
    public bool KazooStarted { get; private set; }

    /// <summary>The next free kazoo member slot number.</summary>
    public int NextKazooSlot { get; set; }

    /// <summary>How many times a kazoo member still claimed an item after the server had ended its session, while another member owned it.</summary>
    public int KazooOverlaps { get; set; }

    /// <summary>The event logs of every partitioner that recorded one, by file name.</summary>
    public SortedDictionary<string, StringWriter> EventLogs { get; } = new(StringComparer.Ordinal);

    /// <summary>Starts a member process in <paramref name="slot"/> (a new slot when null): a C# member, or a kazoo-like one.</summary>
    public SimMember StartMember(string? slot = null, int generation = 1, bool kazoo = false)
    {
        KazooStarted |= kazoo;
        SimMember member = kazoo
            ? new KazooMember(this, slot ?? $"k{NextKazooSlot++}", generation)
            : new SimulatedMember(this, slot ?? $"m{NextSlot++}", generation);
        Members.Add(member);
        member.Start();
        return member;
    }
}

/// <summary>An operator deleted the lowest lock node of <paramref name="Item"/>, created by <paramref name="Member"/>'s session <paramref name="SessionId"/>.</summary>
internal sealed record OperatorHit(SimMember Member, long SessionId, string Item, TimeSpan At);
