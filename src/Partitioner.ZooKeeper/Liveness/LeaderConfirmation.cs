using Partitioner.Core;

namespace Partitioner.ZooKeeper.Liveness;

/// <summary>A request about to be sent: its send time on the member's clock, and the connection it goes on.</summary>
/// <param name="Timestamp">The member's clock just before the request was handed to the port.</param>
/// <param name="Connection">Which of the member's connections it goes on: it counts up at every lost one.</param>
internal readonly record struct SentRequest(long Timestamp, long Connection);

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
/// <para>How the leader hears of a session. The server a client talks to records a "touch" of the session when
/// a packet of it arrives. A follower relays its touches to the leader in its answer to the leader's ping, which
/// the leader sends every <c>tickTime / 2</c>; the leader then expires the session no sooner than the session
/// timeout after that relay. A request forwarded to the leader does not touch the session there.</para>
/// <para>The rule. A request <c>q</c> sent at <c>t</c> on the current connection whose answer (any answer of a
/// server, a follower's read included) arrived at <c>r</c>, and a sync or write <c>p</c> sent at
/// <c>s ≥ r + allowance</c> on the same connection that the leader answered: then <c>t</c> is confirmed. So
/// is the send time of the connect request of an accepted handshake (the leader creates a new session and
/// revalidates a reconnecting one before any server accepts it). The confirmed instant is the latest of them.
/// The member claims while less than <c>timeout × (1 − 2 × </c><see cref="ClockRateErrorMax"/><c>)</c>
/// has passed since it by its own clock.</para>
/// <para>Why it is safe. Say the member's server is a follower (on the leader itself the touch is the leader's
/// own and the rest is immediate). (1) <c>q</c> reached the follower at some <c>a_q</c> with
/// <c>t ≤ a_q ≤ r</c>: it cannot arrive before it was sent, and the follower answered it after it arrived; the
/// follower recorded the touch at <c>a_q</c>. (2) <c>p</c> reached the follower at <c>a_p ≥ s ≥ r + allowance
/// ≥ a_q + allowance</c>: between the two arrivals lies at least the allowance, a whole <c>tickTime</c>, twice
/// the leader's ping period, so the follower answered a leader ping in between (the spare half tick covers the
/// ping loop running late and the ping's own latency varying). That answer carries the touch of <c>a_q</c> and
/// went up the follower's FIFO link to the leader before the follower forwarded <c>p</c> on it. (3) The
/// leader answered <c>p</c>, so it had already read that answer and renewed the session at an instant after
/// <c>a_q ≥ t</c>: it cannot expire the session before <c>t + timeout</c> by its own clock. (4) The claim
/// window, 90 % of the timeout, covers the member's and the leader's clocks each running up to
/// <see cref="ClockRateErrorMax"/> from true time. Times are taken on the member's side so that every error is
/// in the safe direction: a send time taken before the request is handed to the port is no later than the
/// true send, and an answer time taken when the member reads it (late after a pause) is no earlier than its
/// true arrival, so a late reading only pushes <c>s ≥ r + allowance</c> further off.</para>
/// <para>Why the answer's arrival and not the send. An earlier rule confirmed <c>t</c> when <c>p</c> was
/// merely sent an allowance after <c>q</c>. Sends an allowance apart need not arrive apart: behind a partition
/// of the member's own link both wait and reach the follower in one burst, between two of the leader's pings,
/// and the leader answers <c>p</c> before any relay of <c>q</c>'s touch, with its own last touch older than
/// the partition. That broke lock agreement in the simulator (a member cut off for 1.4 s, its follower then cut
/// from the leader before its next ping answer). An answer to <c>q</c> pins its arrival no later than
/// <c>r</c>, whatever the partition did.</para>
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
    /// How many answered requests are kept. Past it, the answer closest in time to its neighbours goes, so the
    /// kept ones stay spread over the whole history (back to the last confirmation) and a sync finds an answer at
    /// most about <c>history / 63</c> later than the one it could best confirm.
    /// </summary>
    private const int AnsweredMax = 64;

    private readonly object _gate = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan? _serverTickTime;
    private readonly List<(long Sent, long Answered)> _answered = new(AnsweredMax);
    private long _connection;
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
    /// A confirmed instant lags the latest answered sync by the relay allowance, a round trip (the answer that
    /// pins its arrival) and up to one sync interval, and the next answer takes another interval and a round
    /// trip: all that must fit in the claim window with an eighth of the timeout to spare for the two round trips.
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

    /// <summary>Something is about to be sent on the current connection: its send time, and which connection that is.</summary>
    public SentRequest Sending()
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            return new SentRequest(now, _connection);
        }
    }

    /// <summary>
    /// A server answered <paramref name="request"/> (any answer of the request itself, a follower's read
    /// included): it reached the member's server before now. Only a later sync or write sent an allowance after
    /// now, and answered by the leader, turns that into a confirmation.
    /// </summary>
    public void Answered(SentRequest request)
    {
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (request.Connection == _connection)
            {
                Record(request.Timestamp, now);
            }
        }
    }

    /// <summary>
    /// The leader answered a sync or a write sent as <paramref name="request"/>: every request sent on the same
    /// connection whose answer arrived at least the relay allowance before that send has its touch at the
    /// leader, so the latest such send time is confirmed (see the remarks of the class). The answer is itself
    /// an answer, for later ones to confirm.
    /// </summary>
    public void LeaderAnswered(SentRequest request, TimeSpan sessionTimeout)
    {
        var allowance = RelayAllowance(sessionTimeout, _serverTickTime);
        var now = _time.GetTimestamp();
        lock (_gate)
        {
            if (request.Connection != _connection)
            {
                return;
            }

            long best = 0;
            bool found = false;
            foreach (var (sent, answered) in _answered)
            {
                if (_time.GetElapsedTime(answered, request.Timestamp) >= allowance && (!found || sent > best))
                {
                    (best, found) = (sent, true);
                }
            }

            if (found)
            {
                if (!_hasConfirmed || best > _confirmed)
                {
                    (_confirmed, _hasConfirmed) = (best, true);
                }

                // Answers to requests sent no later than the confirmed one can never confirm more: drop them.
                _answered.RemoveAll(a => a.Sent <= best);
            }

            Record(request.Timestamp, now);
        }
    }

    /// <summary>Keeps an answer (in the order they arrive); when full, first drops the densest one.</summary>
    private void Record(long sent, long answered)
    {
        if (_answered.Count == AnsweredMax)
        {
            DropDensestAnswer();
        }

        _answered.Add((sent, answered));
    }

    /// <summary>
    /// Drops the answer whose neighbours arrived closest together, never the oldest or the newest. Thinning by
    /// count instead (every other one, or the oldest first) lets a flood of requests crowd every answer between
    /// the oldest and the last few milliseconds out of the history; then no sync can confirm anything newer than
    /// the oldest, the confirmed instant freezes, and the member loses its claims for good while connected.
    /// Dropping an answer only ever confirms less, which is safe.
    /// </summary>
    private void DropDensestAnswer()
    {
        int densest = 1;
        long narrowest = long.MaxValue;
        for (int i = 1; i < _answered.Count - 1; i++)
        {
            long span = _answered[i + 1].Answered - _answered[i - 1].Answered;
            if (span < narrowest)
            {
                (densest, narrowest) = (i, span);
            }
        }

        _answered.RemoveAt(densest);
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
            _answered.Clear();
            _connection++;
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
