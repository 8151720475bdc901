using Partitioner.Core;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Tests.Shell;

/// <summary>
/// The ownership rule as the shell applies it: claims rest on what the leader answered (syncs, writes, an
/// accepted connect), never on pings or reads, which a follower cut from the leader keeps answering. With a
/// 9-second session and no tickTime given, the relay allowance is 4.5 s and the claim window 8.1 s (90 %).
/// </summary>
public sealed class OwnershipTests
{
    private static readonly TimeSpan Window = TimeSpan.FromMilliseconds(8100);
    private readonly ManualTimeProvider _time = new();
    private readonly ScriptedPort _port = new() { SessionTimeout = TimeSpan.FromSeconds(9) };
    private readonly ScriptedDecider _decider = new()
    {
        OnDecide = (state, e) => e is SessionReconnected ? state.To(PartitionState.Acquired, "a", "c").Then() : state.Then(),
    };

    [Fact]
    public void AcquiredItems_WhenTheLeaderAnswersNothingFor90PercentOfTheTimeout_ClaimsNothingThoughPingsAreAnswered()
    {
        // Given a member that Core says owns a and c, just reconnected (the leader revalidated the session),
        // behind a follower cut from the leader: syncs go unanswered while the follower answers pings.
        _port.SyncAnswer = null;
        var partitioner = Shell.Start(_port, _time, _decider);
        _port.AcceptedConnectTimestamp = _time.GetTimestamp();
        _port.ChangeSession(SessionChange.Reconnected);
        Assert.Equal(["a", "c"], partitioner.AcquiredItems);

        // When just under the claim window passes, with the follower answering everything else, it owns them.
        _time.Advance(Window - TimeSpan.FromTicks(1));
        _port.LastConfirmedTimestamp = _time.GetTimestamp();
        Assert.Equal(["a", "c"], partitioner.AcquiredItems);

        // When the window has passed, the leader may have expired the session: it claims nothing, though its
        // follower answered a moment ago and Core's state is unchanged.
        _time.Advance(TimeSpan.FromTicks(1));
        _port.LastConfirmedTimestamp = _time.GetTimestamp();
        Assert.False(partitioner.Acquired);
        Assert.Empty(partitioner.AcquiredItems);
        Assert.Empty(partitioner);
        Assert.Equal(PartitionState.Acquired, partitioner.State);
        Assert.True(_port.Syncs >= 9, $"the shell kept sending syncs (sent {_port.Syncs})");
    }

    [Fact]
    public void AcquiredItems_WhileTheLeaderAnswersSyncs_KeepsTheClaimsWellPastTheTimeout()
    {
        // Given a member whose syncs the leader answers.
        var partitioner = Shell.Start(_port, _time, _decider);
        _port.AcceptedConnectTimestamp = _time.GetTimestamp();
        _port.ChangeSession(SessionChange.Reconnected);

        // Then it owns its items at every step over four session timeouts.
        for (var step = 0; step < 360; step++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(100));
            Assert.Equal(["a", "c"], partitioner.AcquiredItems);
        }
    }

    [Fact]
    public void AcquiredItems_WhenSyncsAreAnsweredAgainAfterALapse_ClaimsAgainOnceASyncLeavesAnAllowanceAfterAnAnswer()
    {
        // Given a member whose claims lapsed because the leader answered nothing for 10 seconds, though the
        // shell kept sending a sync every 0.9 s on the same connection.
        _port.SyncAnswer = null;
        var partitioner = Shell.Start(_port, _time, _decider);
        _port.AcceptedConnectTimestamp = _time.GetTimestamp();
        _port.ChangeSession(SessionChange.Reconnected);
        _time.Advance(TimeSpan.FromSeconds(10));
        Assert.Empty(partitioner.AcquiredItems);

        // When the leader answers the next sync (sent at 10.8 s), that answer only pins when the sync reached
        // the server: the unanswered syncs before it may have waited behind a partition and arrived with it.
        _port.SyncAnswer = ZooKeeperError.Ok;
        _time.Advance(TimeSpan.FromSeconds(0.8));
        Assert.Empty(partitioner.AcquiredItems);

        // Then the sync sent at 15.3 s, 4.5 s (the relay allowance) after that answer, confirms the one of 10.8 s.
        _time.Advance(TimeSpan.FromSeconds(4.5) - TimeSpan.FromTicks(1));
        Assert.Empty(partitioner.AcquiredItems);
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Equal(["a", "c"], partitioner);

        // And the claim lasts the window from 10.8 s, and no longer if nothing more is answered.
        _port.SyncAnswer = null;
        _time.Advance(TimeSpan.FromMilliseconds(10800 + 8100 - 15300) - TimeSpan.FromTicks(1));
        Assert.Equal(["a", "c"], partitioner);
        _time.Advance(TimeSpan.FromTicks(1));
        Assert.Empty(partitioner);
    }

    [Fact]
    public void AcquiredItems_AfterASuspension_IgnoresWhatWasSentOnTheLostConnection()
    {
        // Given a member whose syncs were sent for 4 s on a connection that then dropped (unanswered).
        _port.SyncAnswer = null;
        var partitioner = Shell.Start(_port, _time, _decider);
        _time.Advance(TimeSpan.FromSeconds(4));
        _port.ChangeSession(SessionChange.Suspended);

        // When it reconnects (the connect itself confirmed nothing, say) and a sync is answered 1 s later,
        // the earlier sends do not count: they went to a server that may have been cut from the leader.
        _port.ChangeSession(SessionChange.Reconnected);
        _port.SyncAnswer = ZooKeeperError.Ok;
        _time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(PartitionState.Acquired, partitioner.State);
        Assert.Empty(partitioner.AcquiredItems);
    }

    [Fact]
    public void AcquiredItems_OutsideAcquired_IsEmptyEvenWithItemsInCoreState()
    {
        // Given a (deliberately odd) Core state in Release that still lists items.
        _decider.OnDecide = (state, _) => (state with { PartitionState = PartitionState.Release, StateId = 1, AcquiredItems = ["a"] }).Then();
        var partitioner = Shell.Start(_port, _time, _decider);
        _port.AcceptedConnectTimestamp = _time.GetTimestamp();
        _port.ChangeSession(SessionChange.Suspended);

        // Then the partitioner claims nothing.
        Assert.True(partitioner.Release);
        Assert.Empty(partitioner.AcquiredItems);
    }
}
