using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.Simulation;
using Partitioner.Simulation.Faults;
using Partitioner.Simulation.Running;

namespace Partitioner.Tests.Simulation.Faults;

/// <summary>
/// The TransientReplies fault: the leader answers members' requests with ThrottledOp, SessionMoved, OperationTimeout
/// (carried out or not) and, inside a multiRead, ConnectionLoss; the party retries them and converges, and a member
/// that does not retry them is caught.
/// </summary>
public sealed class TransientReplyTests
{
    private static Scenario Quiet(int transientPermille, params FaultEvent[] faults) => TestScenarios.Quiet with
    {
        Seed = 11,
        Members = 4,
        Items = 30,
        TimeBoundary = TimeSpan.FromMilliseconds(150),
        MaxReactionTime = TimeSpan.FromMilliseconds(250),
        LatencyMax = TimeSpan.FromMilliseconds(8),
        ReleaseDelayMax = TimeSpan.FromMilliseconds(40),
        TransientPermille = transientPermille,
        Faults = [.. faults],
    };

    [Fact]
    public void HighTransientRate_EveryCodeIsGiven_AndThePartyStillConverges()
    {
        // Given parties whose leader answers 30 % of their requests with a transient code for the whole fault phase
        var results = Enumerable.Range(11, 3).Select(seed => Simulator.Run(Quiet(300) with { Seed = (ulong)seed })).ToArray();

        // Then each kept single owner and converged, and every kind of transient answer was given
        var timeline = results.SelectMany(r => r.Timeline).ToArray();
        Assert.All(results, r => Assert.Equal(SimulationOutcome.Passed, r.Outcome));
        Assert.All(results, r => Assert.True(r.TransientReplies > 50, $"only {r.TransientReplies} transient replies"));
        Assert.All(results, r => Assert.Equal(r.TransientReplies, r.Timeline.Count(l => l.Contains("fault: the leader answers", StringComparison.Ordinal))));
        foreach (var expected in new[] { "with ThrottledOp (not carried out)", "with SessionMoved (not carried out)", "with OperationTimeout (carried out)", "with OperationTimeout (not carried out)" })
        {
            Assert.True(timeline.Any(l => l.Contains(expected, StringComparison.Ordinal)), $"no answer {expected}");
        }

        Assert.Contains(timeline, l => l.Contains("one read of m", StringComparison.Ordinal) && l.Contains("with ConnectionLoss", StringComparison.Ordinal));
    }

    [Fact]
    public void NoRateAndNoFault_NoTransientReplyIsGiven()
    {
        var result = Simulator.Run(Quiet(0));

        Assert.Equal(SimulationOutcome.Passed, result.Outcome);
        Assert.Equal(0, result.TransientReplies);
    }

    [Fact]
    public void TransientRepliesFault_AnswersOnlyItsMember_OnlyForItsDuration()
    {
        // Given one TransientReplies fault on the first member, from 4 s to 6 s
        var result = Simulator.Run(Quiet(0, new FaultEvent(TimeSpan.FromSeconds(4), FaultKind.TransientReplies, 0, TimeSpan.FromSeconds(2))));

        // Then only m0's requests got transient answers, all within the window
        var answers = result.Timeline.Where(l => l.Contains("fault: the leader answers", StringComparison.Ordinal)).ToArray();
        Assert.Equal(SimulationOutcome.Passed, result.Outcome);
        Assert.NotEmpty(answers);
        Assert.All(answers, l => Assert.Contains("m0's", l, StringComparison.Ordinal));
        Assert.All(answers, l => Assert.InRange(double.Parse(l.TrimStart()[..l.TrimStart().IndexOf('s', StringComparison.Ordinal)], System.Globalization.CultureInfo.InvariantCulture), 4.0, 6.0));
    }

    [Fact]
    public void MemberThatDropsTransientResults_IsCaughtByTheLivenessCheck()
    {
        // Given members whose Core ignores a result carrying a transient code (it neither retries nor fails)
        var options = new SimulationOptions { DecideOverride = DropsTransientResults };

        // When the leader answers some of their requests with transient codes
        var withCore = Simulator.Run(Quiet(100));
        var broken = Simulator.Run(Quiet(100), options);

        // Then Core converges, and the broken members wait for answers they dropped
        Assert.Equal(SimulationOutcome.Passed, withCore.Outcome);
        Assert.Equal(SimulationOutcome.LivenessViolation, broken.Outcome);
    }

    [Fact]
    public void SameScenarioWithTransients_RunTwice_GivesTheSameTrace()
    {
        var scenario = Quiet(200, new FaultEvent(TimeSpan.FromSeconds(2), FaultKind.TransientReplies, 1, TimeSpan.FromSeconds(3)));

        Assert.Equal(Simulator.Run(scenario).TraceHash, Simulator.Run(scenario).TraceHash);
    }

    private static bool Transient(ZooKeeperError error) =>
        error is ZooKeeperError.ThrottledOp or ZooKeeperError.SessionMoved or ZooKeeperError.OperationTimeout;

    private static Decision DropsTransientResults(MemberState state, Event @event)
    {
        bool transient = @event switch
        {
            MultiReadCompleted reads => Transient(reads.Error) || reads.Results.Any(r => Transient(r.Error) || r.Error == ZooKeeperError.ConnectionLoss),
            StatsCompleted stats => Transient(stats.Error) || stats.Results.Any(r => Transient(r.Error) || r.Error == ZooKeeperError.ConnectionLoss),
            OperationCompleted result => Transient(result.Error),
            _ => false,
        };
        return transient ? new Decision(state, ImmutableArray<Command>.Empty) : Decider.Decide(state, @event);
    }
}
