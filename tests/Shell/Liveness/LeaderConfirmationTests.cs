using Partitioner.ZooKeeper.Liveness;

namespace Partitioner.Tests.Shell.Liveness;

/// <summary>The confirmation rule on its own: what an answer from the leader proves, and what it does not.</summary>
public sealed class LeaderConfirmationTests
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan Tick = TimeSpan.FromSeconds(2);
    private readonly ManualTimeProvider _time = new();

    [Fact]
    public void LeaderAnswered_ForTheOnlySendOnTheConnection_ConfirmsNothing()
    {
        // A follower relays a touch at its next answer to a leader ping: an answer to the very request that
        // made the touch does not prove that the touch reached the leader.
        var confirmation = new LeaderConfirmation(_time, Tick);
        var sent = confirmation.Sending();
        confirmation.LeaderAnswered(sent, Timeout);

        Assert.Null(confirmation.ConfirmedTimestamp);
        Assert.True(confirmation.ClaimRemaining(Timeout) <= TimeSpan.Zero);
    }

    [Fact]
    public void LeaderAnswered_ConfirmsTheLatestRequestAnsweredATickBeforeTheSync()
    {
        var confirmation = new LeaderConfirmation(_time, Tick);
        var first = confirmation.Sending();
        _time.Advance(TimeSpan.FromMilliseconds(20));
        confirmation.Answered(first);
        _time.Advance(TimeSpan.FromSeconds(1));
        var second = confirmation.Sending();
        _time.Advance(TimeSpan.FromMilliseconds(20));
        confirmation.Answered(second);
        _time.Advance(TimeSpan.FromSeconds(1.5));
        var sync = confirmation.Sending();

        // The sync left 2.52 s after the first answer and 1.5 s after the second: only the first is a tick older.
        confirmation.LeaderAnswered(sync, Timeout);
        Assert.Equal(first.Timestamp, confirmation.ConfirmedTimestamp);

        // A later sync confirms the second; the confirmed instant is the send, not the answer.
        _time.Advance(TimeSpan.FromSeconds(0.5));
        var later = confirmation.Sending();
        confirmation.LeaderAnswered(later, Timeout);
        Assert.Equal(second.Timestamp, confirmation.ConfirmedTimestamp);
    }

    [Fact]
    public void LeaderAnswered_SendsATickApartAnsweredTogether_ConfirmsNothing()
    {
        // Behind a partition of the member's own link, a request and a sync sent a tick apart both wait and reach
        // the follower in one burst, between two of the leader's pings: the leader answers the sync before it
        // hears of the request's touch, and its last touch of the session is older than the partition. Nothing
        // pins the request's arrival a tick before the sync's, so nothing is confirmed.
        var confirmation = new LeaderConfirmation(_time, Tick);
        var request = confirmation.Sending();
        _time.Advance(TimeSpan.FromSeconds(2.5));
        var sync = confirmation.Sending();
        _time.Advance(TimeSpan.FromSeconds(1));
        confirmation.LeaderAnswered(request, Timeout);
        confirmation.LeaderAnswered(sync, Timeout);

        Assert.Null(confirmation.ConfirmedTimestamp);
    }

    [Fact]
    public void LeaderAnswered_UnderASteadyStreamOfRequests_StillConfirmsARequestAnsweredATickBefore()
    {
        // A member that sends a request every 10 ms (a busy allocation, or a release loop) must not crowd out
        // every answer old enough to be confirmed: then no sync would ever confirm anything again.
        var confirmation = new LeaderConfirmation(_time, Tick);
        var previous = confirmation.Sending();
        for (int i = 0; i < 500; i++)
        {
            _time.Advance(TimeSpan.FromMilliseconds(10));
            confirmation.Answered(previous);
            previous = confirmation.Sending();
        }

        var sync = confirmation.Sending();
        confirmation.LeaderAnswered(sync, Timeout);

        Assert.NotNull(confirmation.ConfirmedTimestamp);
        var age = _time.GetElapsedTime(confirmation.ConfirmedTimestamp!.Value, sync.Timestamp);
        Assert.True(age >= Tick, $"confirmed a send only {age} before the sync");
        Assert.True(confirmation.ClaimRemaining(Timeout) > TimeSpan.Zero);
    }

    [Fact]
    public void LeaderAnswered_UnderAFloodOfRequests_KeepsConfirmingSendsATickOlder()
    {
        // A member allocating thousands of items has far more answers than the history holds between two syncs.
        // If the history kept its oldest answer and thinned the rest by count, the recent answers crowded out
        // every answer between the oldest and the last few milliseconds: each sync could confirm only that oldest
        // one, the confirmed instant froze, and the member released and re-acquired forever (a simulated run of
        // 5,000 items). The history must keep answers spread over time.
        var confirmation = new LeaderConfirmation(_time, Tick);
        var interval = LeaderConfirmation.SyncInterval(Timeout);
        var start = _time.GetTimestamp();
        var nextSync = start + (long)(interval.TotalSeconds * _time.TimestampFrequency);
        for (int i = 0; i < 120_000; i++)
        {
            var request = confirmation.Sending();
            _time.Advance(TimeSpan.FromMilliseconds(0.1));
            confirmation.Answered(request);
            if (_time.GetTimestamp() < nextSync)
            {
                continue;
            }

            nextSync += (long)(interval.TotalSeconds * _time.TimestampFrequency);
            var sync = confirmation.Sending();
            confirmation.LeaderAnswered(sync, Timeout);
            if (_time.GetElapsedTime(start) < Tick + interval)
            {
                continue;
            }

            var age = _time.GetElapsedTime(confirmation.ConfirmedTimestamp!.Value, sync.Timestamp);
            Assert.True(age >= Tick, $"confirmed a send only {age} before the answered one");
            Assert.True(age <= Tick + interval, $"at {_time.GetElapsedTime(start)} the confirmed send is {age} older than the answered one");
        }
    }

    [Fact]
    public void ClaimRemaining_IsTheWindowLessTheTimeSinceTheConfirmedSend()
    {
        var confirmation = new LeaderConfirmation(_time, Tick);
        confirmation.LeaderHeardAfter(_time.GetTimestamp());
        _time.Advance(TimeSpan.FromSeconds(3));

        // 90 % of 10 s, less the 3 s since.
        Assert.Equal(TimeSpan.FromSeconds(6), confirmation.ClaimRemaining(Timeout));
        _time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(TimeSpan.Zero, confirmation.ClaimRemaining(Timeout));
    }

    [Fact]
    public void ConnectionLost_ForgetsTheAnswersButKeepsWhatWasConfirmed()
    {
        var confirmation = new LeaderConfirmation(_time, Tick);
        confirmation.LeaderHeardAfter(_time.GetTimestamp());
        var confirmed = confirmation.ConfirmedTimestamp;
        _time.Advance(TimeSpan.FromSeconds(1));
        var answeredBefore = confirmation.Sending();
        var answeredAfter = confirmation.Sending();
        confirmation.Answered(answeredBefore);
        confirmation.ConnectionLost();

        // An answer read after the loss came on the old connection, from a server that may be cut from the leader.
        confirmation.Answered(answeredAfter);
        _time.Advance(TimeSpan.FromSeconds(3));
        confirmation.LeaderAnswered(confirmation.Sending(), Timeout);

        Assert.Equal(confirmed, confirmation.ConfirmedTimestamp);
    }

    [Fact]
    public void LeaderAnswered_ForASyncSentOnTheLostConnection_ConfirmsNothing()
    {
        var confirmation = new LeaderConfirmation(_time, Tick);
        var request = confirmation.Sending();
        confirmation.Answered(request);
        _time.Advance(TimeSpan.FromSeconds(3));
        var sync = confirmation.Sending();
        confirmation.ConnectionLost();
        confirmation.LeaderAnswered(sync, Timeout);

        Assert.Null(confirmation.ConfirmedTimestamp);
    }

    [Fact]
    public void RelayAllowance_WithoutATickTime_IsHalfTheSessionTimeout() =>
        Assert.Equal(TimeSpan.FromSeconds(5), LeaderConfirmation.RelayAllowance(Timeout, null));

    [Theory]
    [InlineData(4000, null, true)]
    [InlineData(4000, 2000, true)]
    [InlineData(3000, 2000, false)]
    [InlineData(10000, 5500, true)]
    [InlineData(10000, 6000, false)]
    public void Unworkable_RefusesATimeoutUnderAbout1Point75Ticks(int timeoutMs, int? tickMs, bool workable)
    {
        var why = LeaderConfirmation.Unworkable(
            TimeSpan.FromMilliseconds(timeoutMs), tickMs is { } t ? TimeSpan.FromMilliseconds(t) : null);
        Assert.Equal(workable, why is null);
    }
}
