using System.Collections.Immutable;
using Partitioner.Simulation.Faults;
using Partitioner.Simulation.Network;

namespace Partitioner.Simulation;

/// <summary>
/// Draws a whole scenario from one seed, as TigerBeetle's VOPR does: the timings, the watch mode and a
/// fault schedule whose density is the fault rate. The property tests build scenarios with FsCheck
/// instead, so that failures shrink; both end in the same <see cref="Scenario"/>.
/// </summary>
public static class ScenarioGenerator
{
    /// <summary>Draws a scenario with <paramref name="members"/> members and <paramref name="items"/> items.</summary>
    /// <param name="seed">The seed of every draw.</param>
    /// <param name="members">Members at the start.</param>
    /// <param name="items">Items to divide.</param>
    /// <param name="faultPhase">How long faults may start for.</param>
    /// <param name="faultRate">Mean faults per simulated second of the fault phase.</param>
    /// <param name="kazooMembers">Kazoo-like members besides <paramref name="members"/>; null draws them (none in most
    /// scenarios, 1-3 in some of up to 200 items).</param>
    /// <param name="rebalance">How the C# members rebalance; null draws it (see <see cref="DrawRebalance"/>).</param>
    /// <exception cref="ArgumentException">A value is out of range; the message names it.</exception>
    public static Scenario FromSeed(
        ulong seed, int members, int items, TimeSpan faultPhase, double faultRate, int? kazooMembers = null, PartyRebalance? rebalance = null)
    {
        if (double.IsNaN(faultRate) || faultRate < 0 || faultRate > 10)
        {
            throw new ArgumentException($"faultRate = {faultRate} must be 0 to 10 faults per second", nameof(faultRate));
        }

        var random = new SimRandom(seed);
        var session = TimeSpan.FromMilliseconds(random.Between(2_000, 6_000));
        var scenario = new Scenario
        {
            Seed = seed,
            Members = members,
            Items = items,
            SessionTimeout = session,
            TimeBoundary = TimeSpan.FromMilliseconds(random.Between(50, 500)),
            MaxReactionTime = TimeSpan.FromMilliseconds(random.Between(100, 1_000)),
            LatencyMax = TimeSpan.FromMilliseconds(random.Between(1, 30)),
            ReleaseDelayMax = TimeSpan.FromMilliseconds(random.Between(0, 100)),
            FaultPhase = faultPhase,
            WatchMode = random.Chance(0.5) ? WatchReconnectMode.Rearm : WatchReconnectMode.FireDisconnected,
        };
        int count = (int)Math.Round(faultRate * faultPhase.TotalSeconds * (0.5 + (random.Next(1001) / 1000.0)));
        var faults = Enumerable.Range(0, count).Select(_ => DrawFault(random, session, faultPhase)).OrderBy(f => f.At).ToImmutableArray();

        // The world's knobs come last, from a stream of their own, so that they do not shift the draws above.
        var world = random.Fork();
        scenario = scenario with
        {
            Faults = faults,
            ClockDriftPermille = world.Chance(0.5) ? 0 : (int)world.Between(20, 50),
            FrameBytesMax = world.Chance(0.7) ? Scenario.FrameBytesDefault : world.Chance(0.5) ? 256 * 1024 : 128 * 1024,
            StaleFolders = world.Chance(0.7) ? 0 : (int)world.Between(1, 5_000),
            Servers = world.Chance(0.5) ? 3 : 1,
            TransientPermille = world.Chance(0.5) ? 0 : (int)world.Between(5, 60),
        };

        // Kazoo members lock one item at a time, a few round trips each: drawn only into parties of up to 200 items.
        bool drawKazoo = items <= 200 && members < Scenario.MembersMax && world.Chance(0.3);
        scenario = scenario with
        {
            KazooMembers = kazooMembers ?? (drawKazoo ? (int)world.Between(1, Math.Min(3, Scenario.MembersMax - members)) : 0),
        };

        // The mode last, from a stream of its own: an eager draw is the scenario the seed gave before modes existed.
        var mode = rebalance ?? DrawRebalance(world.Fork(), scenario);
        scenario = scenario with
        {
            Rebalance = mode,

            // A kazoo member would make a cooperative party a mixed one: drawn ones are left out, given ones are refused.
            KazooMembers = mode == PartyRebalance.Cooperative && kazooMembers is null ? 0 : scenario.KazooMembers,
        };
        return FitFrame(scenario).Validate();
    }

    /// <summary>
    /// Draws of stale folders and a frame limit kept so that a full listing of <c>P/locks</c> would take at most
    /// half the frame (the stale folders are cut down, or the limit raised to the default). Core no longer lists
    /// <c>P/locks</c>, so this only keeps drawn worlds within what the property tests were run against; a
    /// <c>--scenario</c> spec can ask for any number of stale folders.
    /// </summary>
    public static Scenario FitFrame(Scenario scenario)
    {
        ArgumentNullException.ThrowIfNull(scenario);
        while (scenario.StaleFolders > 0 && scenario.LocksListingBytes * 2 > scenario.FrameBytesMax)
        {
            scenario = scenario with { StaleFolders = scenario.StaleFolders / 2 };
        }

        return scenario.LocksListingBytes * 2 > scenario.FrameBytesMax ? scenario with { FrameBytesMax = Scenario.FrameBytesDefault } : scenario;
    }

    /// <summary>
    /// The party size and fault rate a soak draws for <paramref name="seed"/> when they are not given: mostly
    /// small parties (1-9 members, up to 200 items), some of 10-30 members, a few of up to 100 members and
    /// 10,000 items; fault rates from 0 to 2 per second, mostly under 1. From a stream of its own, so that
    /// the scenario drawn for the seed afterwards is the one <see cref="FromSeed"/> gives for these values.
    /// </summary>
    public static (int Members, int Items, double FaultRate) DrawParty(ulong seed)
    {
        var random = new SimRandom(seed ^ 0x6A09E667F3BCC908UL).Fork();
        int size = random.Next(100);
        int members = size < 70 ? (int)random.Between(1, 9) : size < 95 ? (int)random.Between(10, 30) : (int)random.Between(31, Scenario.MembersMax);
        int shape = random.Next(1000);
        int items = shape < 600 ? (int)random.Between(0, 30)
            : shape < 900 ? (int)random.Between(31, 200)
            : shape < 995 ? (int)random.Between(201, 2_000)
            : Scenario.ItemsMax;

        // Whole hundredths, so that the printed reproduce command gives the same rate back.
        double faultRate = random.Chance(0.8) ? random.Between(0, 100) / 100.0 : random.Between(100, 200) / 100.0;
        return (members, items, faultRate);
    }

    /// <summary>
    /// The largest cost of one party change, in weights, of a drawn cooperative or mixed party: members² × items (each
    /// member weighs every (member, item) pair once per change under the sticky function). Larger parties are drawn eager.
    /// </summary>
    /// <remarks>
    /// A party of 100 members and 10,000 items would weigh a hundred million pairs a change, about 15 s of CPU: more than
    /// a soak's whole budget for many seeds. 500,000 pairs (10 members and 5,000 items, 30 and 555, 100 and 50) cost
    /// about 70 ms a change. Larger cooperative parties are given with <c>--rebalance</c>, not drawn.
    /// </remarks>
    public const long DrawnCooperativeWeightsMax = 500_000;

    /// <summary>
    /// The mode a seed draws when none is given: eager in half the scenarios, cooperative in about four in ten, mixed in
    /// one in ten; always eager for parties above <see cref="DrawnCooperativeWeightsMax"/>.
    /// </summary>
    private static PartyRebalance DrawRebalance(SimRandom random, Scenario scenario)
    {
        long members = scenario.Members + scenario.KazooMembers;
        int draw = random.Next(100);
        return members * members * scenario.Items > DrawnCooperativeWeightsMax || draw < 50 ? PartyRebalance.Eager
            : draw < MixedDrawnFrom ? PartyRebalance.Cooperative
            : PartyRebalance.Mixed;
    }

    /// <summary>The draw (of 100) from which a mode is mixed.</summary>
    private const int MixedDrawnFrom = 90;

    /// <summary>A typical duration for a fault of <paramref name="kind"/>, given the session timeout; 0..1000 picks within the range.</summary>
    public static TimeSpan DurationFor(FaultKind kind, TimeSpan session, int permille)
    {
        double f = Math.Clamp(permille, 0, 1000) / 1000.0;
        TimeSpan Range(double lo, double hi) => TimeSpan.FromMilliseconds(Math.Round((lo + ((hi - lo) * f)) * session.TotalMilliseconds));
        return kind switch
        {
            FaultKind.ShortPartition => Range(0.1, 0.9),
            FaultKind.LongPartition => Range(1.2, 2.5),
            FaultKind.ServerRestart => Range(0.1, 1.0),
            FaultKind.Crash => Range(0.0, 2.0),
            FaultKind.Pause => Range(1.1, 2.5),
            FaultKind.FollowerCut => Range(0.5, 3.0),
            FaultKind.SlowConsumer => TimeSpan.FromMilliseconds(500 + Math.Round(2_500 * f)),
            FaultKind.RequestsHeld or FaultKind.RepliesHeld => Range(0.1, 2.0),
            FaultKind.BorderlinePartition or FaultKind.BorderlinePause => Range(0.9, 1.2),
            FaultKind.LateTimers => Range(0.1, 1.0),
            FaultKind.TransientReplies => Range(0.1, 1.0),
            _ => TimeSpan.Zero,
        };
    }

    private static FaultEvent DrawFault(SimRandom random, TimeSpan session, TimeSpan faultPhase)
    {
        var kinds = Enum.GetValues<FaultKind>();
        var kind = kinds[random.Next(kinds.Length)];
        // Whole milliseconds, so that the printed spec replays exactly the same scenario.
        var at = TimeSpan.FromMilliseconds(random.Between(0, (long)faultPhase.TotalMilliseconds));
        return new FaultEvent(at, kind, random.Next(Scenario.MembersMax), DurationFor(kind, session, random.Next(1001)));
    }
}
