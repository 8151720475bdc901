using Partitioner.Simulation.Network;
using Partitioner.Simulation.Scheduling;

namespace Partitioner.Simulation.Running;

/// <summary>
/// What the faults and the checks see of a member process, whichever partitioner it runs: a C# one
/// (<see cref="SimulatedMember"/>) or a model of kazoo's (<see cref="KazooMember"/>).
/// </summary>
internal abstract class SimMember
{
    protected SimMember(SimCluster cluster, string slot, int generation)
    {
        Cluster = cluster;
        Slot = slot;
        Generation = generation;
        Process = new SimProcess(cluster.Scheduler, generation == 1 ? slot : $"{slot}#{generation}");
        Clock = new VirtualTimeProvider(cluster.Scheduler, Process, cluster.Random.Between(0, long.MaxValue / 4), cluster.DrawDriftPpm());
        ReleaseDelayMax = cluster.Scenario.ReleaseDelayMax;
    }

    protected SimCluster Cluster { get; }

    /// <summary>The member's slot, which is also its identifier in the party ("m0", "m1", ... or "k0", "k1", ...).</summary>
    public string Slot { get; }

    /// <summary>1 for the first process in the slot, then one more for each restart after a crash.</summary>
    public int Generation { get; }

    /// <summary>The member's name in the trace.</summary>
    public string Name => Process.Name;

    public SimProcess Process { get; }

    /// <summary>The member's clock (its rate may drift; its timers may be made late).</summary>
    public VirtualTimeProvider Clock { get; }

    public SimulatedClientPort? Session { get; protected set; }

    /// <summary>The longest time this member's consumer takes to release.</summary>
    public TimeSpan ReleaseDelayMax { get; set; }

    /// <summary>True once the member started to leave for good.</summary>
    public bool Leaving { get; protected set; }

    /// <summary>Neither crashed nor leaving: a member the liveness check waits for.</summary>
    public bool Present => !Process.Crashed && !Leaving;

    /// <summary>True for a model of kazoo's SetPartitioner.</summary>
    public abstract bool IsKazoo { get; }

    /// <summary>The items this member may work on now, as its partitioner reports them.</summary>
    public abstract IReadOnlyList<string> Owned { get; }

    /// <summary>Acquired, as the liveness check asks of every present member.</summary>
    public abstract bool IsAcquired { get; }

    /// <summary>
    /// True when the liveness check cannot wait for this member, whatever the run does next (a kazoo member whose
    /// allocation died because its identifier was missing from the party); it owns nothing then.
    /// </summary>
    public virtual bool NotAwaited => false;

    /// <summary>The current partitioner object (a new one after each failure), for the checks' change detection.</summary>
    public abstract object? PartitionerObject { get; }

    /// <summary>The partitioner's state id (-1 without one).</summary>
    public abstract long StateId { get; }

    /// <summary>
    /// The contender prefix of the member's lock node for <paramref name="item"/>: one per partitioner for C#
    /// members, one per lock for kazoo's; null when the member has none for it.
    /// </summary>
    public abstract string? PrefixFor(string item);

    /// <summary>Something that changes whenever <see cref="PrefixFor"/> may answer differently.</summary>
    public abstract object? PrefixVersion { get; }

    /// <summary>The state for a liveness report.</summary>
    public abstract string Describe();

    /// <summary>What the step checks last read as this member's owned items.</summary>
    internal IReadOnlyList<string> LastChecked { get; set; } = Array.Empty<string>();

    public abstract void Start();

    /// <summary>The process dies; nothing of it runs again.</summary>
    public abstract void Crash();

    /// <summary>The consumer finishes the partitioner and closes its session: the member leaves for good.</summary>
    public abstract void Leave();
}
