using System.Collections.Immutable;
using Partitioner.Simulation.Checks;
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
        Server = new InMemoryZooKeeper(Scheduler, root.Fork(), TimeSpan.FromMilliseconds(500));
        Network = new SimNetwork(Scheduler, root.Fork(), Server, scenario.LatencyMax / 10, scenario.LatencyMax);
        // In code-point order, as a caller with a sorted set passes them; the partitioner then skips its sort.
        Items = scenario.ItemNames.Sort(Partitioner.Core.CodePointComparer.Instance);
        Server.Trace = Trace.Detail;
    }

    public Scenario Scenario { get; }

    public SimulationOptions Options { get; }

    public SimScheduler Scheduler { get; } = new();

    /// <summary>The random stream of the members and the fault injector.</summary>
    public SimRandom Random { get; }

    public InMemoryZooKeeper Server { get; }

    public SimNetwork Network { get; }

    public ImmutableArray<string> Items { get; }

    public TraceRecorder Trace { get; } = new();

    /// <summary>Every member process ever started, in order of start.</summary>
    public List<SimulatedMember> Members { get; } = new();

    /// <summary>Members that are neither crashed nor leaving, in order of start.</summary>
    public IEnumerable<SimulatedMember> Present => Members.Where(m => m.Present);

    /// <summary>The next free member slot number.</summary>
    public int NextSlot { get; set; }

    /// <summary>The event logs of every partitioner that recorded one, by file name.</summary>
    public SortedDictionary<string, StringWriter> EventLogs { get; } = new(StringComparer.Ordinal);

    /// <summary>Starts a member process in <paramref name="slot"/> (a new slot when null).</summary>
    public SimulatedMember StartMember(string? slot = null, int generation = 1)
    {
        var member = new SimulatedMember(this, slot ?? $"m{NextSlot++}", generation);
        Members.Add(member);
        member.Start();
        return member;
    }
}
