using System.Collections.Immutable;
using System.Globalization;
using Partitioner.Core;
using Partitioner.Simulation;
using Partitioner.Simulation.Faults;
using Partitioner.Simulation.Running;
using Partitioner.Simulation.Scheduling;

namespace Partitioner.Tests.Simulation.Faults;

/// <summary>
/// The faults of a world as large and hostile as the real one: each is shown to happen in the model, and
/// a party under it to keep single owner and lock agreement and to converge (or, for an operator deleting
/// a held lock, to have the overlap reported apart).
/// </summary>
public sealed class WorldFaultTests
{
    [Fact]
    public void FrameLimit_AReplyOverIt_FailsThatRequestAlone_AndTheConnectionStaysUp()
    {
        // Given a client whose frame limit is 4 KiB, and a folder whose listing is about 9 KB
        var h = new ModelHarness(frameBytesMax: 4_096);
        var (c, _) = h.Connect("a");
        Assert.Equal(ZooKeeperError.Ok, h.Await(c.CreateAsync("/big", default, NodeKind.Persistent)).Error);
        for (int i = 0; i < 600; i++)
        {
            h.Await(c.CreateAsync("/big/child-" + i.ToString("D5", CultureInfo.InvariantCulture), default, NodeKind.Persistent));
        }

        // When it lists the folder
        var listing = h.Await(c.GetChildrenAsync("/big", watch: null));
        h.RunFor(ModelHarness.Timeout);

        // Then the reply is refused as the real client refuses it: MarshallingError, and no reconnect
        Assert.Equal(ZooKeeperError.MarshallingError, listing.Error);
        Assert.Empty(h.Events);
        Assert.True(h.Server.Session(c.SessionId)!.Alive);

        // And a reply under the limit still gets through on the same connection
        Assert.Equal(ZooKeeperError.Ok, h.Await(c.GetChildrenAsync("/", watch: null)).Error);
    }

    [Fact]
    public void RepliesHeld_TheServerHearsTheClient_SoTheSessionOutlivesItsTimeout_WhileTheClientHearsNothing()
    {
        // Given a client whose replies are held (its requests still reach the server)
        var h = new ModelHarness();
        var (c, p) = h.Connect("a");
        h.Network.HoldOneWay(p.Name, toServer: false);
        var create = c.CreateAsync("/applied", default, NodeKind.Persistent);

        // When twice the session timeout passes, then the cut heals
        h.RunFor(ModelHarness.Timeout * 2);
        Assert.NotNull(h.Server.Find("/applied"));
        Assert.True(h.Server.Session(c.SessionId)!.Alive, "the server kept hearing the client's connect attempts");
        h.Network.HealOneWay(p.Name, toServer: false);
        h.RunFor(ModelHarness.Timeout);

        // Then the write was applied but its reply lost with the connection, and the client got back its session
        Assert.Equal(ZooKeeperError.ConnectionLoss, h.Await(create).Error);
        Assert.Equal(["a Suspended", "a Reconnected"], h.Events);
    }

    [Fact]
    public void RequestsHeld_TheSessionExpires_ThoughNotificationsStillReachTheClient()
    {
        // Given a client watching a folder, whose requests are then held
        var h = new ModelHarness();
        var (c, p) = h.Connect("a");
        var (other, _) = h.Connect("b");
        h.Await(c.CreateAsync("/watched", default, NodeKind.Persistent));
        var fired = new List<WatchEventKind>();
        h.Await(c.GetChildrenAsync("/watched", fired.Add));
        h.Network.HoldOneWay(p.Name, toServer: true);

        // When another client writes under the folder, and then 1.5 session timeouts pass
        h.Await(other.CreateAsync("/watched/x", default, NodeKind.Persistent));
        h.RunFor(ModelHarness.Timeout * 1.5);

        // Then the notification arrived, yet the server, hearing nothing, expired the session
        Assert.Equal([WatchEventKind.NodeChildrenChanged], fired);
        Assert.False(h.Server.Session(c.SessionId)!.Alive);
        h.Network.HealOneWay(p.Name, toServer: true);
        h.RunFor(ModelHarness.Timeout);
        Assert.Equal(["a Suspended", "a Expired"], h.Events);
    }

    [Fact]
    public void ClockDrift_AFastClocksTimerFiresEarlyInTrueTime_AndAFastServerExpiresSessionsEarly()
    {
        // Given a member clock 5% fast
        var scheduler = new SimScheduler();
        var clock = new VirtualTimeProvider(scheduler, null, 0, driftPpm: 50_000);
        long firedAt = -1;
        using var timer = clock.CreateTimer(_ => firedAt = scheduler.NowTicks, null, TimeSpan.FromSeconds(1), Timeout.InfiniteTimeSpan);

        // When true time runs on
        while (scheduler.Step(TimeSpan.FromSeconds(2).Ticks))
        {
        }

        // Then its one-second timer fired after 1/1.05 s of true time, and its timestamps ran 5% fast
        Assert.Equal(TimeSpan.FromSeconds(1 / 1.05).Ticks, firedAt, tolerance: 1);
        Assert.Equal(TimeSpan.FromSeconds(2.1).Ticks, clock.GetTimestamp());

        // And a server clock 10% fast expires a cut-off session after 1/1.1 of its timeout in true time
        var h = new ModelHarness(serverDriftPpm: 100_000);
        var (c, p) = h.Connect("a");
        h.Network.Isolate(p.Name);
        h.RunFor(ModelHarness.Timeout * 0.93);
        Assert.False(h.Server.Session(c.SessionId)!.Alive);
    }

    [Fact]
    public void LateTimers_ATimerSetWhileTheFaultLasts_FiresLateByTheDrawnAmount()
    {
        var scheduler = new SimScheduler();
        var clock = new VirtualTimeProvider(scheduler, null, 0) { Lateness = () => TimeSpan.FromMilliseconds(300) };
        long firedAt = -1;
        using var timer = clock.CreateTimer(_ => firedAt = scheduler.NowTicks, null, TimeSpan.FromMilliseconds(100), Timeout.InfiniteTimeSpan);

        while (scheduler.Step(TimeSpan.FromSeconds(1).Ticks))
        {
        }

        Assert.Equal(TimeSpan.FromMilliseconds(400).Ticks, firedAt);
    }

    [Theory]
    [InlineData(FaultKind.RequestsHeld, "requests held for")]
    [InlineData(FaultKind.RepliesHeld, "replies held for")]
    [InlineData(FaultKind.BorderlinePartition, "cut off for")]
    [InlineData(FaultKind.BorderlinePause, "paused for")]
    [InlineData(FaultKind.LateTimers, "timers fire late by up to")]
    [InlineData(FaultKind.OperatorDeletesLock, "an operator deletes /partitioner/locks/")]
    [InlineData(FaultKind.OperatorDeletesPartyNode, "an operator deletes the party node")]
    public void NewFault_HappensInTheRun_AndThePartyKeepsItsChecksAndConverges(FaultKind kind, string note)
    {
        // Over several seeds, so that each fault lands in several states of the party (held, allocating, rebalancing).
        for (ulong seed = 1; seed <= 8; seed++)
        {
            var scenario = Party(seed, kind);

            var result = Simulator.Run(scenario);

            Assert.Contains(result.Timeline, line => line.Contains(note, StringComparison.Ordinal));
            Assert.True(result.Outcome == SimulationOutcome.Passed,
                $"{result.Outcome}: {result.Violation?.Message}\nreproduce: simulate --scenario \"{scenario}\"");
        }
    }

    [Fact]
    public void BorderlineFaults_LastBetween09And12SessionTimeouts()
    {
        var session = TimeSpan.FromSeconds(4);
        foreach (var kind in new[] { FaultKind.BorderlinePartition, FaultKind.BorderlinePause })
        {
            Assert.Equal(TimeSpan.FromSeconds(3.6), ScenarioGenerator.DurationFor(kind, session, 0));
            Assert.Equal(TimeSpan.FromSeconds(4.8), ScenarioGenerator.DurationFor(kind, session, 1000));
        }
    }

    [Fact]
    public void OperatorDeletingAHeldLock_IsExcusedApart_NotReportedAsALibraryBug()
    {
        // Joins keep the party rebalancing while an operator deletes the lowest lock nodes of held items.
        int excused = 0;
        for (ulong seed = 1; seed <= 10; seed++)
        {
            var joins = Enumerable.Range(0, 4).Select(i => new FaultEvent(TimeSpan.FromMilliseconds(1_500 + (i * 1_900)), FaultKind.Join, 0, TimeSpan.Zero));
            var deletes = Enumerable.Range(0, 20).Select(i => new FaultEvent(TimeSpan.FromMilliseconds(1_200 + (i * 400)), FaultKind.OperatorDeletesLock, i, TimeSpan.Zero));
            var scenario = Party(seed, FaultKind.OperatorDeletesLock) with
            {
                Faults = joins.Concat(deletes).OrderBy(f => f.At).ToImmutableArray(),
            };

            var result = Simulator.Run(scenario);

            Assert.True(result.Outcome == SimulationOutcome.Passed, $"{result.Outcome}: {result.Violation?.Message}\nreproduce: simulate --scenario \"{scenario}\"");
            excused += result.OperatorLockExemptions + result.OperatorOverlaps;
        }

        // Without the record of what the operator did, each of these would have failed the run as a lock disagreement.
        Assert.True(excused > 0, "no check met an owner whose lock node an operator had deleted");
    }

    [Fact]
    public void StaleFoldersAndASmallFrame_AListingOfLocksThatFits_Converges()
    {
        // 3,000 stale folders with 20 items list in about 40 KB: under half of a 128 KiB frame.
        var scenario = Party(5, FaultKind.ConnectionLoss) with { StaleFolders = 3_000, FrameBytesMax = 128 * 1024 };
        Assert.True(scenario.LocksListingBytes * 2 < scenario.FrameBytesMax);

        var result = Simulator.Run(scenario);

        Assert.True(result.Outcome == SimulationOutcome.Passed, $"{result.Outcome}: {result.Violation?.Message}");
    }

    [Fact]
    public void FitFrame_CutsStaleFoldersUntilTheListingTakesAtMostHalfTheFrame()
    {
        var scenario = Party(1, FaultKind.ConnectionLoss) with { StaleFolders = 100_000, FrameBytesMax = 128 * 1024 };

        var fitted = ScenarioGenerator.FitFrame(scenario);

        Assert.InRange(fitted.StaleFolders, 1, 99_999);
        Assert.True(fitted.LocksListingBytes * 2 <= fitted.FrameBytesMax);
        Assert.True((fitted with { StaleFolders = fitted.StaleFolders * 2 }).LocksListingBytes * 2 > fitted.FrameBytesMax);
    }

    [Fact]
    public void Spec_WithTheWorldsKnobs_RoundTrips_AndAnOlderSpecWithoutThemStillParses()
    {
        var scenario = Party(3, FaultKind.LateTimers) with { StaleFolders = 12, FrameBytesMax = 131_072, ClockDriftPermille = 30 };

        Assert.Equal(scenario.ToString(), Scenario.Parse(scenario.ToString()).ToString());
        var older = Scenario.Parse("seed=1;members=2;items=3;session=3000;boundary=100;reaction=300;latency=5;release=0;phase=1000;watches=Rearm;faults=");
        Assert.Equal((Scenario.FrameBytesDefault, 0, 0), (older.FrameBytesMax, older.StaleFolders, older.ClockDriftPermille));
    }

    /// <summary>The quiet party (three members, 20 items) with 3% clock drift and five faults of <paramref name="kind"/> on different members.</summary>
    private static Scenario Party(ulong seed, FaultKind kind)
    {
        var session = TestScenarios.Quiet.SessionTimeout;
        var faults = Enumerable.Range(0, 5)
            .Select(i => new FaultEvent(TimeSpan.FromMilliseconds(1_000 + (i * 1_700)), kind, i, ScenarioGenerator.DurationFor(kind, session, (int)((seed * 137) + ((ulong)i * 211)) % 1001)))
            .ToImmutableArray();
        return (TestScenarios.Quiet with { Seed = seed, ClockDriftPermille = 30, Faults = faults }).Validate();
    }
}
