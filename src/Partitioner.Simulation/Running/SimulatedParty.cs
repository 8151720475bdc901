using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Simulation.Checks;
using Partitioner.Simulation.Model;
using Partitioner.Simulation.Network;
using Partitioner.Simulation.Scheduling;
using Partitioner.ZooKeeper;

namespace Partitioner.Simulation.Running;

/// <summary>
/// A scripted party for tests written step by step, as kazoo's test_partitioner.py is: partitioners
/// created by hand on a shared or an own session, the clock moved on explicitly, the user's calls made
/// in between. Unlike a <see cref="Simulator"/> run there is no automatic consumer. Single owner and lock
/// agreement are still checked after every step; a violation throws <see cref="InvariantViolationException"/>.
/// </summary>
public sealed class SimulatedParty
{
    private readonly SimRandom _random;
    private readonly SimProcess _process;
    private readonly VirtualTimeProvider _clock;
    private readonly List<(SetPartitioner Partitioner, SimulatedClientPort Session, string Prefix)> _members = new();
    private readonly ImmutableArray<string> _items;

    /// <summary>Creates a server and one shared client session (kazoo's tests share one client), already connected.</summary>
    public SimulatedParty(ulong seed, int items, TimeSpan timeBoundary, TimeSpan? sessionTimeout = null, TimeSpan? latency = null)
    {
        _random = new SimRandom(seed);
        _items = Enumerable.Range(0, items).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToImmutableArray();
        TimeBoundary = timeBoundary;
        SessionTimeout = sessionTimeout ?? TimeSpan.FromSeconds(10);
        Server = new InMemoryZooKeeper(Scheduler, _random.Fork(), TimeSpan.FromSeconds(1));
        var oneWay = latency ?? TimeSpan.FromMilliseconds(2);
        Network = new SimNetwork(Scheduler, _random.Fork(), Server, oneWay, oneWay);
        _process = new SimProcess(Scheduler, "client");
        _clock = new VirtualTimeProvider(Scheduler, _process, 0);
        SharedSession = NewSession();
    }

    /// <summary>The scheduler; virtual time is <see cref="SimScheduler.Now"/>.</summary>
    public SimScheduler Scheduler { get; } = new();

    /// <summary>The server.</summary>
    public InMemoryZooKeeper Server { get; }

    /// <summary>The network.</summary>
    public SimNetwork Network { get; }

    /// <summary>The session every partitioner uses unless given its own.</summary>
    public SimulatedClientPort SharedSession { get; }

    /// <summary>The time boundary of every partitioner.</summary>
    public TimeSpan TimeBoundary { get; }

    /// <summary>The session timeout of every session.</summary>
    public TimeSpan SessionTimeout { get; }

    /// <summary>Opens and connects a new session in the party's process.</summary>
    public SimulatedClientPort NewSession()
    {
        var session = new SimulatedClientPort(Network, _process, _clock, SessionTimeout, WatchReconnectMode.FireDisconnected);
        bool connected = false;
        session.Start(() => connected = true);
        if (!RunUntil(() => connected, TimeSpan.FromSeconds(5)))
        {
            throw new InvalidOperationException("the session did not connect");
        }

        return session;
    }

    /// <summary>Creates a partitioner with <paramref name="identifier"/> on the shared session (or <paramref name="session"/>).</summary>
    public SetPartitioner Create(string identifier, SimulatedClientPort? session = null, Func<MemberState, Event, Decision>? decide = null)
    {
        session ??= SharedSession;
        var prefix = _random.NextHex32();
        var options = new SetPartitionerOptions
        {
            Identifier = identifier,
            TimeBoundary = TimeBoundary,
            MaxReactionTime = TimeSpan.FromSeconds(1),
            TimeProvider = _clock,
            ContenderPrefix = prefix,
        };
        SetPartitioner? partitioner = null;
        Scheduler.RunNow(
            () => partitioner = decide is null
                ? new SetPartitioner(session, SimCluster.PartyPath, _items, options)
                : new SetPartitioner(session, SimCluster.PartyPath, _items, options, new DeciderFunctions(Decider.Start, decide)),
            _process);
        _members.Add((partitioner!, session, prefix));
        return partitioner!;
    }

    /// <summary>Runs a user call (release, finish...) inside a step of the party's process, as a user's thread would.</summary>
    public void Do(Action call) => Scheduler.RunNow(call, _process);

    /// <summary>Moves virtual time on by <paramref name="span"/>, checking after every step.</summary>
    public void RunFor(TimeSpan span) => RunUntil(() => false, span);

    /// <summary>Runs until <paramref name="condition"/> holds or <paramref name="max"/> passes; true if it held.</summary>
    public bool RunUntil(Func<bool> condition, TimeSpan max)
    {
        var until = Scheduler.NowTicks + max.Ticks;
        while (!condition())
        {
            if (!Scheduler.Step(until))
            {
                return condition();
            }

            Check();
        }

        return true;
    }

    /// <summary>kazoo's <c>wait_for_acquire</c> on each partitioner in turn: runs until all are Acquired (up to 14 s each).</summary>
    public bool WaitForAcquire(params SetPartitioner[] partitioners) =>
        partitioners.All(p => RunUntil(() => p.State is PartitionState.Acquired or PartitionState.Failure, TimeSpan.FromSeconds(14)));

    /// <summary>The checks of a <see cref="Simulator"/> run, over the partitioners created so far.</summary>
    public void Check()
    {
        var owners = _members
            .Where(m => !SingleOwnerChecker.KilledByOperator(Server, m.Session.SessionId))
            .Select((m, i) => ($"{m.Partitioner.Config.Identifier}#{i}", m.Partitioner.AcquiredItems)).Where(o => o.AcquiredItems.Count > 0);
        if (SingleOwnerChecker.Check(owners) is { } twice)
        {
            throw new InvariantViolationException(new Violation(ViolationKind.SingleOwner, Scheduler.Now, twice));
        }

        var claims = _members
            .Where(m => m.Partitioner.AcquiredItems.Count > 0)
            .Select(m => new LockClaim(m.Partitioner.Config.Identifier, m.Session.SessionId, m.Prefix, m.Partitioner.AcquiredItems,
                m.Session.State == ClientState.Connected));
        if (LockAgreementChecker.Check(Server, SimCluster.PartyPath, claims) is { } disagreement)
        {
            throw new InvariantViolationException(new Violation(ViolationKind.LockAgreement, Scheduler.Now, disagreement));
        }
    }
}

/// <summary>A check failed in a scripted party.</summary>
public sealed class InvariantViolationException : Exception
{
    /// <summary>Creates the exception for <paramref name="violation"/>.</summary>
    public InvariantViolationException(Violation violation)
        : base($"{violation.Kind} at {violation.At}: {violation.Message}") => Violation = violation;

    /// <summary>The failed check.</summary>
    public Violation Violation { get; }
}
