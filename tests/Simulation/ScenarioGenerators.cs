using System.Collections.Immutable;
using FsCheck;
using FsCheck.Fluent;
using Partitioner.Simulation;
using Partitioner.Simulation.Faults;
using Partitioner.Simulation.Network;

namespace Partitioner.Tests.Simulation;

/// <summary>FsCheck generators and a shrinker for simulator scenarios.</summary>
internal static class ScenarioGenerators
{
    /// <summary>
    /// Scenarios of 1-100 members and 0-10,000 items (mostly small, so thousands run in well under a minute),
    /// with timings and up to <paramref name="faultsMax"/> faults of every kind in a short fault phase.
    /// </summary>
    public static Gen<Scenario> Scenarios(int faultsMax) =>
        from party in Party()
        from timing in Timing()
        from phaseMs in Gen.Choose(2_000, 15_000)
        from watchMode in Gen.Elements(WatchReconnectMode.Rearm, WatchReconnectMode.FireDisconnected)
        from servers in Gen.Elements(1, 3)
        from seed in Gen.Choose(0, int.MaxValue)
        from count in Gen.Choose(0, faultsMax)
        from faults in Gen.ArrayOf(Fault(phaseMs, timing.SessionMs), count)
        from world in World()
        from kazoo in Gen.Frequency((7, Gen.Constant(0)), (3, Gen.Choose(1, 3)))
        from rebalance in Rebalance(party.Members, party.Items)
        select ScenarioGenerator.FitFrame(new Scenario
        {
            Seed = (ulong)seed,
            Members = party.Members,
            Items = party.Items,
            SessionTimeout = TimeSpan.FromMilliseconds(timing.SessionMs),
            TimeBoundary = TimeSpan.FromMilliseconds(timing.BoundaryMs),
            MaxReactionTime = TimeSpan.FromMilliseconds(timing.ReactionMs),
            LatencyMax = TimeSpan.FromMilliseconds(timing.LatencyMs),
            ReleaseDelayMax = TimeSpan.FromMilliseconds(timing.ReleaseMs),
            FaultPhase = TimeSpan.FromMilliseconds(phaseMs),
            WatchMode = watchMode,
            Servers = servers,
            Faults = faults.OrderBy(f => f.At).ToImmutableArray(),
            ClockDriftPermille = world.DriftPermille,
            FrameBytesMax = world.FrameBytes,
            StaleFolders = world.Stale,
            TransientPermille = world.TransientPermille,

            // Kazoo members lock one item at a time: only in parties of up to 200 items, as ScenarioGenerator draws them.
            // and never in a cooperative party, which they would make a mixed one.
            KazooMembers = party.Items <= 200 && rebalance != PartyRebalance.Cooperative ? Math.Min(kazoo, Scenario.MembersMax - party.Members) : 0,
            Rebalance = rebalance,
        });

    /// <summary>
    /// Eager in about half the scenarios, cooperative in four in ten, mixed in one in ten; parties whose sticky function would cost more
    /// than <see cref="ScenarioGenerator.DrawnCooperativeWeightsMax"/> weights a change stay eager, as the command
    /// line draws them.
    /// </summary>
    private static Gen<PartyRebalance> Rebalance(int members, int items) =>
        (long)members * members * items > ScenarioGenerator.DrawnCooperativeWeightsMax
            ? Gen.Constant(PartyRebalance.Eager)
            : Gen.Frequency((5, Gen.Constant(PartyRebalance.Eager)), (4, Gen.Constant(PartyRebalance.Cooperative)), (1, Gen.Constant(PartyRebalance.Mixed)));

    /// <summary>Smaller scenarios: each candidate drops a fault, a member, items, or shortens or softens something.</summary>
    public static IEnumerable<Scenario> Shrink(Scenario s)
    {
        for (int i = 0; i < s.Faults.Length; i++)
        {
            yield return s with { Faults = s.Faults.RemoveAt(i) };
        }

        if (s.KazooMembers > 0)
        {
            yield return s with { KazooMembers = 0 };
            yield return s with { KazooMembers = s.KazooMembers - 1 };
        }

        if (s.Members > 1)
        {
            // Every smaller party down to one: with up to 100 members, halving alone stalls where one size
            // fails and the next smaller passes by chance; small parties come first.
            for (int members = 1; members < s.Members; members = members < 10 ? members + 1 : members * 2)
            {
                yield return s with { Members = members };
            }

            yield return s with { Members = s.Members - 1 };
        }

        if (s.Items > 0)
        {
            yield return s with { Items = s.Items / 2 };
            yield return s with { Items = s.Items - 1 };
        }

        var lastFault = s.Faults.Select(f => f.At).DefaultIfEmpty(TimeSpan.Zero).Max();
        if (s.FaultPhase > lastFault + TimeSpan.FromSeconds(1))
        {
            yield return s with { FaultPhase = lastFault + TimeSpan.FromSeconds(1) };
        }

        for (int i = 0; i < s.Faults.Length; i++)
        {
            if (s.Faults[i].Member > 0)
            {
                yield return s with { Faults = s.Faults.SetItem(i, s.Faults[i] with { Member = 0 }) };
            }
        }

        if (s.Servers > 1)
        {
            yield return s with { Servers = 1 };
        }

        if (s.ReleaseDelayMax > TimeSpan.Zero)
        {
            yield return s with { ReleaseDelayMax = TimeSpan.Zero };
        }

        if (s.StaleFolders > 0)
        {
            yield return s with { StaleFolders = 0 };
        }

        if (s.ClockDriftPermille > 0)
        {
            yield return s with { ClockDriftPermille = 0 };
        }

        if (s.TransientPermille > 0)
        {
            yield return s with { TransientPermille = 0 };
        }

        if (s.FrameBytesMax != Scenario.FrameBytesDefault)
        {
            yield return s with { FrameBytesMax = Scenario.FrameBytesDefault };
        }

        if (s.Rebalance != PartyRebalance.Eager)
        {
            yield return s with { Rebalance = PartyRebalance.Eager };
        }
    }

    /// <summary>
    /// Mostly small parties (fast, and where most interleavings are), with a tail up to
    /// <see cref="Scenario.MembersMax"/> members and <see cref="Scenario.ItemsMax"/> items; a big party gets
    /// fewer items and the other way round, so that no scenario costs more than about a second.
    /// </summary>
    private static Gen<(int Members, int Items)> Party() =>
        from members in Gen.Frequency((20, Gen.Choose(1, 9)), (3, Gen.Choose(10, 30)), (1, Gen.Choose(31, Scenario.MembersMax)))
        from items in members > 30
            ? Gen.Frequency((6, Gen.Choose(0, 200)), (2, Gen.Choose(201, 2_000)), (1, Gen.Constant(Scenario.ItemsMax)))
            : Gen.Frequency((16, Gen.Choose(0, 12)), (8, Gen.Choose(13, 60)), (4, Gen.Choose(61, 200)), (2, Gen.Choose(201, 2_000)), (1, Gen.Constant(Scenario.ItemsMax)))
        select (members, items);

    /// <summary>
    /// Clock drift (none, or 2-5%), the frame limit (mostly the default), stale folders (mostly none) and the rate of
    /// transient replies (none in half, else 0.5-6 % of requests during the fault phase).
    /// </summary>
    private static Gen<(int DriftPermille, int FrameBytes, int Stale, int TransientPermille)> World() =>
        from drift in Gen.Frequency((1, Gen.Constant(0)), (1, Gen.Choose(20, 50)))
        from frame in Gen.Frequency((6, Gen.Constant(Scenario.FrameBytesDefault)), (2, Gen.Constant(256 * 1024)), (2, Gen.Constant(128 * 1024)))
        from stale in Gen.Frequency((7, Gen.Constant(0)), (3, Gen.Choose(1, 5_000)))
        from transients in Gen.Frequency((1, Gen.Constant(0)), (1, Gen.Choose(5, 60)))
        select (drift, frame, stale, transients);

    private static Gen<(int SessionMs, int BoundaryMs, int ReactionMs, int LatencyMs, int ReleaseMs)> Timing() =>
        from session in Gen.Choose(2_000, 5_000)
        from boundary in Gen.Choose(20, 400)
        from reaction in Gen.Choose(100, 800)
        from latency in Gen.Choose(1, 20)
        from release in Gen.Choose(0, 100)
        select (session, boundary, reaction, latency, release);

    private static Gen<FaultEvent> Fault(int phaseMs, int sessionMs) =>
        from at in Gen.Choose(0, phaseMs)
        from kind in Gen.Elements(Enum.GetValues<FaultKind>())
        from member in Gen.Choose(0, Scenario.MembersMax - 1)
        from permille in Gen.Choose(0, 1000)
        select new FaultEvent(
            TimeSpan.FromMilliseconds(at), kind, member,
            ScenarioGenerator.DurationFor(kind, TimeSpan.FromMilliseconds(sessionMs), permille));
}
