using System.Collections;
using System.Collections.Immutable;
using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Partitioner.Core;
using Partitioner.ZooKeeper.Diagnostics;
using Partitioner.ZooKeeper.Liveness;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.ZooKeeper;

/// <summary>
/// Divides a set of items among the live members of a group, so that every item has exactly one
/// owner; kazoo's <c>SetPartitioner</c> recipe, with the same znodes, so that C# and Python members can
/// share a party. States go Allocating, Acquired, Release, Allocating..., and Failure at the end.
/// </summary>
/// <remarks>
/// The partitioner runs Core's decisions one event at a time and sends their ZooKeeper requests through
/// <see cref="IZooKeeperPort"/> without waiting on each other. It starts no threads and takes time only
/// from <see cref="SetPartitionerOptions.TimeProvider"/>. Its awaited methods continue on the caller's
/// synchronization context, which is how a simulator keeps a whole run on one thread.
/// </remarks>
public sealed partial class SetPartitioner : IAsyncDisposable, IEnumerable<string>
{
    private readonly object _subscribersGate = new();
    private readonly List<Channel<PartitionState>> _subscribers = [];
    private readonly IZooKeeperPort _port;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly StateWaiters _waiters;
    private readonly MemberLoop _loop;
    private readonly ItemOwnership _ownership;
    private PartitionState _published;
    private ITimer? _finishDeadline;
    private int _finishRequested;
    private int _disposed;

    /// <summary>
    /// Creates a member of the party at <paramref name="path"/> and starts it: it joins the party, waits
    /// for it to be stable for <see cref="SetPartitionerOptions.TimeBoundary"/>, then takes its share.
    /// </summary>
    /// <param name="port">The ZooKeeper session to work through.</param>
    /// <param name="path">The party's root znode; its children are <c>locks</c> and <c>party</c>.</param>
    /// <param name="items">The items to divide; every member must be given the same ones.</param>
    /// <param name="options">The options; the defaults when null.</param>
    /// <exception cref="ArgumentException">
    /// A value is not valid, or the session timeout is too short for <see cref="SetPartitionerOptions.ServerTickTime"/>
    /// for the member ever to claim its items; the message names it.
    /// </exception>
    public SetPartitioner(IZooKeeperPort port, string path, IEnumerable<string> items, SetPartitionerOptions? options = null)
        : this(port, path, items, options, DeciderFunctions.Core)
    {
    }

    /// <summary>Creates a member that runs <paramref name="decider"/> instead of Core's decider (simulator and tests).</summary>
    internal SetPartitioner(
        IZooKeeperPort port, string path, IEnumerable<string> items, SetPartitionerOptions? options, DeciderFunctions decider)
    {
        ArgumentNullException.ThrowIfNull(port);
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(items);
        ArgumentNullException.ThrowIfNull(decider);
        options ??= new SetPartitionerOptions();
        var config = CreateConfig(path, items, options);
        if (options.ServerTickTime is { } tick && tick <= TimeSpan.Zero)
        {
            throw new ArgumentException($"SetPartitionerOptions.ServerTickTime = {tick} must be positive, or null for half the session timeout.", nameof(options));
        }

        if (options.RequestsInFlightMax < 1)
        {
            throw new ArgumentException($"SetPartitionerOptions.RequestsInFlightMax = {options.RequestsInFlightMax} must be at least 1.", nameof(options));
        }

        if (LeaderConfirmation.Unworkable(port.SessionTimeout, options.ServerTickTime) is { } why)
        {
            throw new ArgumentException($"SetPartitionerOptions.ServerTickTime: {why}.", nameof(options));
        }

        _port = port;
        _time = options.TimeProvider;
        _logger = options.Logger ?? options.LoggerFactory?.CreateLogger("Partitioner.ZooKeeper.SetPartitioner") ?? NullLogger.Instance;
        var initial = MemberState.Unstarted(config);
        _waiters = new StateWaiters(new Observation(initial, initial, null, 0, Stopped: false));
        _published = initial.PartitionState;
        var telemetry = new MemberTelemetry(PartitionerInstruments.Get(options.MeterFactory), _time, config);
        _ownership = new ItemOwnership(_time, () => ClaimRemaining, () => ItemOwnershipChanged is not null, RaiseItemOwnershipChanged, e => _loop!.Post(e));
        _loop = new MemberLoop(
            config, port, _time, decider, options.EventLog, _logger, telemetry, Observe, _ownership.StopRequested, options.ServerTickTime, options.RequestsInFlightMax);
        _loop.Start();
    }

    /// <summary>
    /// Raised after every state change, on the thread that ran the decision: over a <c>ZooKeeperClient</c> a thread-pool
    /// thread, never the client's own dispatcher, so a handler may wait for a request of the same client. Handlers should
    /// be quick (the member decides nothing else meanwhile); one that throws is logged and ignored.
    /// </summary>
    public event EventHandler<PartitionStateChangedEventArgs>? StateChanged;

    /// <summary>
    /// Raised for each item this member comes to own (<see cref="ItemOwnershipChange.Assigned"/>, with its fencing token)
    /// and each it stops owning: <see cref="ItemOwnershipChange.Revoked"/> when it leaves in an orderly way (its work may
    /// finish its step and commit), <see cref="ItemOwnershipChange.Lost"/> otherwise (its work must not commit).
    /// </summary>
    /// <remarks>
    /// <para>Raised after each decision that changes <see cref="OwnedItems"/> (after its <see cref="StateChanged"/>), one
    /// item at a time and in order, never on two threads at once; and with Lost for every item when the claim window
    /// closes (the leader has not confirmed the session for 90 % of its timeout), by a timer that runs while the member
    /// owns items and this event has handlers or <see cref="RunItemsAsync"/> runs. Handlers should be quick; one that
    /// throws is logged and ignored.</para>
    /// <para>Revoked: in cooperative mode, an item leaving the member's share after a party change; in eager mode, every
    /// item when a party change moves the member to Release (its locks stay until <see cref="ReleaseSetAsync"/>). Lost:
    /// a connection loss or reconnect, a session expiry, Failure, a finish, the claim window closing. An item lost to the
    /// claim window is assigned again only with a new token, after a release.</para>
    /// <para>In cooperative mode a revoked item's lock node is deleted once its work has returned. While
    /// <see cref="RunItemsAsync"/> runs, that is when the item's work task completes. Otherwise the member counts the
    /// work as returned when the Revoked handlers return: a consumer that works on items from this event (or from
    /// <see cref="StateChanged"/>) must stop the item's work inside its Revoked handler, before returning, or another
    /// member may take the item while the work still runs.</para>
    /// </remarks>
    public event EventHandler<ItemOwnershipChangedEventArgs>? ItemOwnershipChanged;

    /// <summary>The configuration this member runs with, defaults filled in.</summary>
    public PartitionerConfig Config => _loop.State.Config;

    /// <summary>The current state, as Core decided it.</summary>
    public PartitionState State => _loop.State.PartitionState;

    /// <summary>Grows by one on every state change.</summary>
    public long StateId => _loop.State.StateId;

    /// <summary>Why the member is in Failure; null otherwise.</summary>
    public string? FailureReason => _loop.State.FailureReason;

    /// <summary>
    /// The items this member owns: empty unless it is <see cref="Acquired"/>. Stale-safe: the member claims
    /// them only while, by its own clock, the ZooKeeper leader cannot yet have expired its session, judged from
    /// the syncs and writes the leader answered (not from pings or reads, which a follower cut from the leader
    /// keeps answering). A paused process, a cut network or a cut follower makes it claim nothing within 90 %
    /// of the session timeout after the last instant the leader is known to have heard of it.
    /// </summary>
    public IReadOnlyList<string> AcquiredItems
    {
        get
        {
            var state = _loop.State;
            return IsOwner(state) ? state.AcquiredItems : ImmutableArray<string>.Empty;
        }
    }

    /// <summary>
    /// How long ago, by <see cref="SetPartitionerOptions.TimeProvider"/>, the ZooKeeper leader is last known to have
    /// heard of this member's session (a sync or write it answered, an accepted connect; see the README's guarantee
    /// section); before the first such instant, the time since the client's latest answered request. Past 90 % of the
    /// session timeout the member claims no items (see <see cref="AcquiredItems"/>); a health check reports it.
    /// </summary>
    public TimeSpan SinceLastConfirmedReply =>
        _time.GetElapsedTime(_loop.Confirmation.ConfirmedTimestamp ?? _port.LastConfirmedTimestamp);

    /// <summary>
    /// The items this member owns with their fencing tokens, in the order of <see cref="AcquiredItems"/>, under the same
    /// rule: empty unless <see cref="Acquired"/>. Pass an item's <see cref="OwnedItem.FencingToken"/> with every write
    /// the work makes for it, so that the store can refuse a write from an owner that has since been replaced.
    /// </summary>
    public IReadOnlyList<OwnedItem> OwnedItems
    {
        get
        {
            var state = _loop.State;
            return IsOwner(state) ? state.OwnedItems : ImmutableArray<OwnedItem>.Empty;
        }
    }

    /// <summary>True in Failure, which is terminal.</summary>
    public bool Failed => State == PartitionState.Failure;

    /// <summary>True in Release: stop working on the set, then call <see cref="ReleaseSetAsync"/>.</summary>
    public bool Release => State == PartitionState.Release;

    /// <summary>True in Allocating.</summary>
    public bool Allocating => State == PartitionState.Allocating;

    /// <summary>True when this member holds its share and its session could still be alive (see <see cref="AcquiredItems"/>).</summary>
    public bool Acquired => IsOwner(_loop.State);

    /// <summary>
    /// Waits until the member is Acquired. Returns true then; false when <paramref name="timeout"/> passes
    /// first (by the partitioner's <see cref="TimeProvider"/>), or the member is in Release or Failure.
    /// </summary>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public async Task<bool> WaitForAcquireAsync(TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        if (timeout < TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be zero or more, or Timeout.InfiniteTimeSpan.");
        }

        using var timeoutSource = new CancellationTokenSource(timeout, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeoutSource.Token);
        try
        {
            var state = await _waiters.WaitAsync(
                o => o.Current.PartitionState is PartitionState.Acquired or PartitionState.Release or PartitionState.Failure,
                linked.Token);
            return state.PartitionState == PartitionState.Acquired;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return false;
        }
    }

    /// <summary>
    /// Asks the member to release its set and re-allocate (kazoo's <c>release_set</c>). Completes when the
    /// member has left Release, or is in Failure (at once if the member has stopped). Call it once work on the
    /// set has stopped.
    /// </summary>
    public Task ReleaseSetAsync() => ReleaseAsync(CancellationToken.None);

    /// <summary>
    /// <see cref="ReleaseSetAsync"/>, whose wait for the member to leave Release ends early when
    /// <paramref name="cancellationToken"/> is cancelled: the loops release with their own token, since a release waits
    /// for the server to answer its deletes and a loop must still be able to stop while none answers.
    /// </summary>
    private Task ReleaseAsync(CancellationToken cancellationToken)
    {
        var request = new ReleaseRequested();
        var seen = false;
        var done = _waiters.WaitAsync(
            o =>
            {
                seen |= ReferenceEquals(o.Event, request);
                return o.Current.PartitionState == PartitionState.Failure || (seen && o.Current.PartitionState != PartitionState.Release);
            },
            cancellationToken);
        return _loop.Post(request) ? done : Task.CompletedTask;
    }

    /// <summary>
    /// Releases every lock, leaves the party and ends in Failure (kazoo's <c>finish</c>). Completes when the
    /// member is in Failure, every request it still had in flight was answered and every lock node it may have
    /// (a create or delete lost with the connection) was found and deleted, or at the latest one
    /// session timeout after the request (by then a server that did not hear the deletes has expired the
    /// session, and its ephemeral nodes with it).
    /// </summary>
    public Task FinishAsync()
    {
        Interlocked.Exchange(ref _finishRequested, 1);
        var request = new FinishRequested();
        var seen = false;
        var deadlinePassed = 0;
        var done = _waiters.WaitAsync(
            o =>
            {
                // Finish in Failure may still delete locks that a fatal error left behind, so wait for the
                // request itself to be decided, then for the answers to what it sent and for the lock nodes lost
                // with the connection to be found and deleted (after the reconnect).
                seen |= ReferenceEquals(o.Event, request);
                var answered = (o.InFlight == 0 && o.Current.LockNodesSettled) || Volatile.Read(ref deadlinePassed) == 1;
                return o.Stopped || (seen && o.Current.PartitionState == PartitionState.Failure && answered);
            },
            CancellationToken.None);
        if (!_loop.Post(request))
        {
            return Task.CompletedTask;
        }

        if (!done.IsCompleted)
        {
            // Kept in a field: an unreferenced system timer may be collected before it fires. One that fires
            // after the finish completed only finds nothing left to recheck.
            var deadline = _time.CreateTimer(
                _ =>
                {
                    Volatile.Write(ref deadlinePassed, 1);
                    _waiters.Recheck();
                },
                null,
                _port.SessionTimeout,
                Timeout.InfiniteTimeSpan);
            Interlocked.Exchange(ref _finishDeadline, deadline)?.Dispose();
        }

        return done;
    }

    /// <summary>
    /// How many state changes <see cref="WatchStatesAsync"/> keeps for a reader that has not taken them yet: one
    /// that falls further behind loses the oldest it has not read, never the latest (so it always sees Failure,
    /// the last). A slow reader costs at most this much memory, however long the member runs. The value is 64.
    /// </summary>
    public const int WatchedStatesBufferedMax = 64;

    /// <summary>
    /// The member's states: the current one first, then each change, ending after Failure. A reader more than
    /// <see cref="WatchedStatesBufferedMax"/> changes behind misses the oldest of those it has not read.
    /// </summary>
    /// <param name="cancellationToken">Stops the enumeration.</param>
    public async IAsyncEnumerable<PartitionState> WatchStatesAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        var channel = Subscribe();
        try
        {
            await foreach (var state in channel.Reader.ReadAllAsync(cancellationToken))
            {
                yield return state;
            }
        }
        finally
        {
            lock (_subscribersGate)
            {
                _subscribers.Remove(channel);
            }
        }
    }

    /// <summary>Finishes the member (see <see cref="FinishAsync"/>) unless it already has, and stops its timers.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        await FinishAsync();
        _loop.Stop();
        Interlocked.Exchange(ref _finishDeadline, null)?.Dispose();
    }

    /// <summary>Enumerates <see cref="AcquiredItems"/>.</summary>
    public IEnumerator<string> GetEnumerator() => AcquiredItems.GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>The most events the member's mailbox has held at once (see <see cref="MemberLoop"/>'s remarks for its bound).</summary>
    internal int MailboxQueuedMax => _loop.QueuedMax;

    /// <summary>Core's latest decided state, a new object after every decision: the simulator's checks re-read a member's items when it changes.</summary>
    internal MemberState Decided => _loop.State;

    /// <summary>True once the user asked to finish, so that Failure is the expected end.</summary>
    internal bool FinishRequested => Volatile.Read(ref _finishRequested) == 1;

    /// <summary>Waits for an observation that satisfies <paramref name="isDone"/>; the state it brought.</summary>
    internal Task<MemberState> WaitForAsync(Func<Observation, bool> isDone, CancellationToken cancellationToken) =>
        _waiters.WaitAsync(isDone, cancellationToken);

    private static PartitionerConfig CreateConfig(string path, IEnumerable<string> items, SetPartitionerOptions options)
    {
        if (options.TimeProvider is null)
        {
            throw new ArgumentException("SetPartitionerOptions.TimeProvider is null; leave it at TimeProvider.System or give one.", nameof(options));
        }

        if (!Enum.IsDefined(options.Rebalance))
        {
            throw new ArgumentException(
                $"SetPartitionerOptions.Rebalance = {(int)options.Rebalance} is not a RebalanceMode: use Eager or Cooperative.", nameof(options));
        }

        return PartitionerConfig.Create(
            path,
            items,
            options.Identifier ?? $"{Environment.MachineName}-{Environment.ProcessId}",
            options.ContenderPrefix ?? Guid.NewGuid().ToString("N"),
            options.TimeBoundary,
            options.MaxReactionTime,
            options.PartitionFunction,
            options.PartitionFunctionName,
            options.BatchSize,
            options.Acl) with { Rebalance = options.Rebalance };
    }

    /// <summary>
    /// How long this member may still claim its items by its own clock (zero or less: it claims nothing). The one
    /// ownership rule, <see cref="LeaderConfirmation.ClaimRemaining"/>; <see cref="AcquiredItems"/>,
    /// <see cref="OwnedItems"/>, <see cref="Acquired"/> and the work deadline all come from it.
    /// </summary>
    internal TimeSpan ClaimRemaining => _loop.Confirmation.ClaimRemaining(_port.SessionTimeout);

    private bool IsOwner(MemberState state) => state.PartitionState == PartitionState.Acquired && ClaimRemaining > TimeSpan.Zero;

    /// <summary>Runs on the draining thread after each decision.</summary>
    private void Observe(Observation observation)
    {
        // The ownership changes are taken first, so that a per-item loop that a waiter wakes finds them; they are
        // told after the state change.
        _ownership.Observed(observation, ClaimRemaining > TimeSpan.Zero);
        _waiters.Observe(observation);
        var previous = observation.Previous;
        var current = observation.Current;
        if (previous.StateId != current.StateId || previous.PartitionState != current.PartitionState)
        {
            Log.StateChanged(_logger, current.Config.Identifier, previous.PartitionState, current.PartitionState, current.StateId,
                current.AcquiredItems.Length, current.FailureReason is null ? "" : $": {current.FailureReason}");
            Publish(current.PartitionState);
            RaiseStateChanged(new PartitionStateChangedEventArgs(previous.PartitionState, current.PartitionState, current.StateId));
        }

        _ownership.Deliver();
    }

    private void RaiseItemOwnershipChanged(ItemOwnershipChangedEventArgs args)
    {
        try
        {
            ItemOwnershipChanged?.Invoke(this, args);
        }
        catch (Exception exception)
        {
            Log.OwnershipHandlerThrew(_logger, _loop.State.Config.Identifier, args.Item, args.Change, exception);
        }
    }

    private void RaiseStateChanged(PartitionStateChangedEventArgs args)
    {
        try
        {
            StateChanged?.Invoke(this, args);
        }
        catch (Exception exception)
        {
            Log.HandlerThrew(_logger, _loop.State.Config.Identifier, exception);
        }
    }

    private Channel<PartitionState> Subscribe()
    {
        var channel = Channel.CreateBounded<PartitionState>(new BoundedChannelOptions(WatchedStatesBufferedMax)
        {
            FullMode = BoundedChannelFullMode.DropOldest,
            SingleWriter = true,
            SingleReader = true,
        });
        lock (_subscribersGate)
        {
            var current = _published;
            channel.Writer.TryWrite(current);
            if (current == PartitionState.Failure)
            {
                channel.Writer.TryComplete();
            }
            else
            {
                _subscribers.Add(channel);
            }
        }

        return channel;
    }

    private void Publish(PartitionState state)
    {
        lock (_subscribersGate)
        {
            _published = state;
            foreach (var channel in _subscribers)
            {
                channel.Writer.TryWrite(state);
                if (state == PartitionState.Failure)
                {
                    channel.Writer.TryComplete();
                }
            }

            if (state == PartitionState.Failure)
            {
                _subscribers.Clear();
            }
        }
    }
}
