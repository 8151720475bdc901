using Partitioner.Core;

namespace Partitioner.ZooKeeper.Liveness;

/// <summary>
/// What this member knows about its session on the ZooKeeper leader, and the one ownership rule built on it:
/// a member claims its items only while, by its own clock, the leader cannot yet have expired its session.
/// The shell (<see cref="SetPartitioner.AcquiredItems"/>, <see cref="SetPartitioner.Acquired"/>, the work
/// deadline of <see cref="SetPartitioner.RunAsync"/>) and the simulator's checks all read it from here.
/// </summary>
/// <remarks>
/// <para>Why pings and reads do not count. A follower answers pings and reads by itself. When it is cut off
/// from the leader it keeps answering them (for up to <c>syncLimit × tickTime</c>), while the leader hears
/// nothing of the session and expires it after the session timeout. Only a request the leader must process,
/// a <c>sync</c> or a write, proves that the follower still reaches the leader.</para>
/// <para>How the leader hears of a session. The server a client talks to records a "touch" on every packet
/// of the session. A follower relays its touches to the leader in its answer to the leader's ping, which the
/// leader sends every <c>tickTime / 2</c>; the leader then expires the session no sooner than the session
/// timeout after that relay. So a touch made at <c>t</c> has reached the leader when a request sent on the
/// same connection at <c>s ≥ t + tickTime</c> was answered by the leader: the follower answered a leader ping
/// between the two, and sent that answer (carrying the touch) before it forwarded the later request, on the
/// same FIFO connection, to the leader that answered it. The allowance is a whole <c>tickTime</c>, twice the
/// ping period, to cover the leader's ping loop running late.</para>
/// <para>The rule. The confirmed instant is the latest send time <c>t</c> of anything this member sent on
/// its current connection such that a sync or write sent at <c>s ≥ t + allowance</c> on the same connection
/// has been answered by the leader, or the send time of the connect request of an accepted handshake (the
/// leader creates a new session and revalidates a reconnecting one before any server accepts it). The leader cannot expire the session before <c>t + timeout</c> by its own
/// clock. The member claims while less than <c>timeout × (1 − 2 × </c><see cref="ClockRateErrorMax"/><c>)</c>
/// has passed since <c>t</c> by its own clock, which covers the two clocks running at rates up to
/// <see cref="ClockRateErrorMax"/> apart from true time. Send times are taken before the request is handed to
/// the port, so a request that leaves later, or a reply read late after a pause, never makes the member
/// believe more than the leader saw.</para>
/// <para>What it does not cover: an operator (or a tool) that kills the session on the server by decree, a
/// wrong <see cref="SetPartitionerOptions.ServerTickTime"/>, clocks further apart than
/// <see cref="ClockRateErrorMax"/>. Fencing tokens cover what no member can know in time.</para>
/// <para>Thread safety: the port completes requests on any thread; every member is guarded by one lock.</para>
/// </remarks>
internal sealed class LeaderConfirmation
{
    /// <summary>
    /// The largest rate by which the member's clock and the leader's clock may each differ from true time:
    /// 5 %, far more than a clock kept by NTP drifts (parts per million); the simulator draws drifts up to it.
    /// </summary>
    public const double ClockRateErrorMax = 0.05;

    /// <summary>
    /// How many send times are kept. Past it, the send closest in time to its neighbours goes, so the kept ones
    /// stay spread over the whole history (back to the last confirmation) and an answer finds a send at most
    /// about <c>history / 63</c> older than the one it needs.
    /// </summary>
    private const int SendsMax = 64;

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan? _serverTickTime;
    private readonly List<long> _sends = new(SendsMax);
    private long _confirmed;
    private bool _hasConfirmed;

    /// <summary>Creates a tracker that knows nothing confirmed yet.</summary>
    /// <param name="time">The member's clock.</param>
    /// <param name="serverTickTime">The servers' tickTime; null for the largest one the session timeout allows (half of it).</param>
    public LeaderConfirmation(TimeProvider time, TimeSpan? serverTickTime)
    {
        _time = time;
        _serverTickTime = serverTickTime;
    }

    /// <summary>The latest instant the leader is known to have heard of the session; null before the first.</summary>
    public long? ConfirmedTimestamp
    {
        get
        {
            lock (_gate)
            {
                return _hasConfirmed ? _confirmed : null;
            }
        }
    }

    /// <summary>
    /// How long after a touch it takes to be sure the leader has it: the servers' tickTime, by default half the
    /// session timeout (ZooKeeper never negotiates a timeout under two ticks unless an operator lowered
    /// minSessionTimeout, and then <see cref="SetPartitionerOptions.ServerTickTime"/> must be set).
    /// </summary>
    public static TimeSpan RelayAllowance(TimeSpan sessionTimeout, TimeSpan? serverTickTime) =>
        serverTickTime ?? sessionTimeout / 2;

    /// <summary>How long a claim lasts after the confirmed instant: the session timeout less the clock allowance.</summary>
    public static TimeSpan ClaimWindow(TimeSpan sessionTimeout) =>
        TimeSpan.FromTicks(sessionTimeout.Ticks - (long)Math.Round(sessionTimeout.Ticks * 2 * ClockRateErrorMax));

    /// <summary>How often the shell sends a sync: a tenth of the session timeout.</summary>
    public static TimeSpan SyncInterval(TimeSpan sessionTimeout) => sessionTimeout / 10;

    /// <summary>
    /// Null when a member with this session timeout can keep its claims between two syncs; otherwise why not.
    /// A confirmed instant lags the latest answered sync by the relay allowance and up to one sync interval,
    /// and the next answer takes another interval and a round trip: all that must fit in the claim window
    /// with an eighth of the timeout to spare for the round trip.
    /// </summary>
    public static string? Unworkable(TimeSpan sessionTimeout, TimeSpan? serverTickTime)
    {
        var needed = RelayAllowance(sessionTimeout, serverTickTime) + (2 * SyncInterval(sessionTimeout)) + (sessionTimeout / 8);
        return needed < ClaimWindow(sessionTimeout)
            ? null
            : $"a session timeout of {sessionTimeout.TotalMilliseconds} ms is too short for a server tickTime of "
              + $"{RelayAllowance(sessionTimeout, serverTickTime).TotalMilliseconds} ms: a member could not keep its claims "
              + "(it must be more than 1.75 ticks)";
    }

    /// <summary>Records that something is about to be sent on the current connection; returns its send time.</summary>
    public long Sending()
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (_sends.Count == SendsMax)
            {
                DropDensestSend();
            }

            _sends.Add(now);
        }

        return now;
    }

    /// <summary>
    /// Drops the send whose neighbours are closest together, never the oldest or the newest. Thinning by count
    /// instead (every other send, or the oldest first) lets a flood of requests crowd every send between the
    /// oldest and the last few milliseconds out of the history; then no answer can confirm anything newer than
    /// the oldest, the confirmed instant freezes, and the member loses its claims for good while connected.
    /// Dropping a send only ever confirms less, which is safe.
    /// </summary>
    private void DropDensestSend()
    {
        int densest = 1;
        long narrowest = long.MaxValue;
        for (int i = 1; i < _sends.Count - 1; i++)
        {
            long span = _sends[i + 1] - _sends[i - 1];
            if (span < narrowest)
            {
                (densest, narrowest) = (i, span);
            }
        }

        _sends.RemoveAt(densest);
    }

    /// <summary>
    /// The leader answered a sync or a write sent at <paramref name="sentTimestamp"/>: every touch sent at least
    /// the relay allowance before it, on the same connection, has reached the leader.
    /// </summary>
    public void LeaderAnswered(long sentTimestamp, TimeSpan sessionTimeout)
    {
        var allowance = RelayAllowance(sessionTimeout, _serverTickTime);
        lock (_gate)
        {
            long best = 0;
            bool found = false;
            foreach (var sent in _sends)
            {
                if (_time.GetElapsedTime(sent, sentTimestamp) >= allowance && (!found || sent > best))
                {
                    (best, found) = (sent, true);
                }
            }

            if (!found)
            {
                return;
            }

            if (!_hasConfirmed || best > _confirmed)
            {
                (_confirmed, _hasConfirmed) = (best, true);
            }

            // Sends before the confirmed one can never confirm more: drop them (the list is in send order).
            int older = 0;
            while (older < _sends.Count && _sends[older] < best)
            {
                older++;
            }

            _sends.RemoveRange(0, older);
        }
    }

    /// <summary>The leader is known to have heard of the session after <paramref name="timestamp"/> (an accepted connect).</summary>
    public void LeaderHeardAfter(long? timestamp)
    {
        if (timestamp is not { } at)
        {
            return;
        }

        lock (_gate)
        {
            if (!_hasConfirmed || at > _confirmed)
            {
                (_confirmed, _hasConfirmed) = (at, true);
            }
        }
    }

    /// <summary>
    /// The connection ended (suspended or expired): what was sent on it reached a server that may have been cut
    /// from the leader, so no later answer on another connection may confirm it. What was confirmed stays so.
    /// </summary>
    public void ConnectionLost()
    {
        lock (_gate)
        {
            _sends.Clear();
        }
    }

    /// <summary>
    /// How long this member may still claim its items by its own clock: positive while the leader cannot have
    /// expired the session, zero or less once it may have (or before anything was confirmed).
    /// </summary>
    public TimeSpan ClaimRemaining(TimeSpan sessionTimeout)
    {
        var confirmed = ConfirmedTimestamp;
        return confirmed is { } at ? ClaimWindow(sessionTimeout) - _time.GetElapsedTime(at) : TimeSpan.Zero;
    }

    /// <summary>True for an outcome the leader must have decided: Ok, or an error of the request itself.</summary>
    public static bool IsLeaderOutcome(ZooKeeperError error) =>
        error is ZooKeeperError.Ok or ZooKeeperError.NoNode or ZooKeeperError.NodeExists or ZooKeeperError.NotEmpty
            or ZooKeeperError.NoChildrenForEphemerals or ZooKeeperError.RuntimeInconsistency or ZooKeeperError.BadArguments;
}
