using System.Collections.Immutable;
using Microsoft.Extensions.Logging;
using Partitioner.Core;
using Partitioner.ZooKeeper.Diagnostics;
using Partitioner.ZooKeeper.Liveness;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.ZooKeeper;

/// <summary>What the facade learns after each decision, on the draining thread.</summary>
/// <param name="Previous">The state before the decision.</param>
/// <param name="Current">The state after it.</param>
/// <param name="Event">The event decided on; null for the start.</param>
/// <param name="InFlight">How many ZooKeeper operations are still waiting for their result.</param>
/// <param name="Stopped">The loop stopped after this decision (the decider threw): no event will follow.</param>
internal readonly record struct Observation(MemberState Previous, MemberState Current, Event? Event, int InFlight, bool Stopped);

/// <summary>
/// One member's event loop: a mailbox that hands Core one event at a time, and the executor of
/// Core's commands against the port.
/// </summary>
/// <remarks>
/// There is no thread of its own. Whoever posts an event while no one is draining drains the queue
/// inline, except the port on a thread it must not hold (<see cref="PortCallbacks.DecideOnThreadPool"/>: the real
/// client's dispatcher), which has the queue drained from the thread pool; an event posted while draining (an answer
/// the port gave at once, a watch or a timer) is queued, never decided re-entrantly. Requests are sent without
/// waiting on each other, and the port answers each with Core's own event, which goes to the mailbox as it is: the
/// port's answers come in order, and the mailbox keeps it. Under the simulator every callback arrives on its one
/// scheduler thread, so a run is a pure function of its seed.
/// <para>The mailbox has no limit of its own, because reaching one could only lose an event (a result or a watch
/// that Core must hear of), block the client's thread that delivers it (shared by every member on that client, and
/// the drainer's own thread when a result is already there), or end the member with its locks undeleted. Its limit
/// is instead on what fills it: at most <see cref="SetPartitionerOptions.RequestsInFlightMax"/> of Core's requests
/// are out at once, and the rest wait in <see cref="_unsent"/> in Core's order until results are decided, so no
/// more results than that can wait. Each result answers one request Core sent (one per op id: <see cref="RequestInFlight"/>
/// posts once, and Core's requests are bounded by its share and the party), each watch event answers one watching request (the shell passes on only
/// the first call of a watch's callback, whatever the port does), each timer event fires once for one timer Core
/// started (one-shot; a restarted timer replaces the old one), the stops' answers (one <see cref="ItemWorkStopped"/> per
/// <see cref="StopItemWork"/> Core sent, so bounded by its share), and the rest are session changes (one per change
/// of the client's connection) and user requests (one per call of a release or a finish). An event queues only
/// while another thread is deciding; otherwise its poster decides it at once. So the queue holds at most the
/// member's own requests in flight (at most <see cref="SetPartitionerOptions.RequestsInFlightMax"/>), its watches
/// and timers, and the session changes and calls that came during one decision. <see cref="QueuedMax"/> records
/// the most it held, for the tests that check that bound.</para>
/// </remarks>
internal sealed class MemberLoop
{
    private readonly object _gate = new();
    private readonly Queue<Event> _queue = new();
    private readonly IZooKeeperPort _port;
    private readonly TimeProvider _time;
    private readonly DeciderFunctions _decider;
    private readonly ILogger _logger;
    private readonly Action<Observation> _observer;
    private readonly Action<StopItemWork> _stopItemWork;
    private readonly Dictionary<long, ITimer> _timers = new();
    private readonly HashSet<long> _inFlight = new();
    private readonly Queue<Command> _unsent = new();
    private readonly int _requestsInFlightMax;
    private readonly string _identifier;
    private readonly MemberTelemetry _telemetry;
    private readonly string _syncPath;
    private readonly bool _decidesOnThreadPool;
    private IEventLogSink? _sink;
    private ITimer? _syncTimer;
    private MemberState _state;
    private bool _draining;
    private bool _stopped;
    private int _queuedMax;
    private long _seq;

    public MemberLoop(
        PartitionerConfig config,
        IZooKeeperPort port,
        TimeProvider time,
        DeciderFunctions decider,
        IEventLogSink? sink,
        ILogger logger,
        MemberTelemetry telemetry,
        Action<Observation> observer,
        Action<StopItemWork> stopItemWork,
        TimeSpan? serverTickTime = null,
        int requestsInFlightMax = 1000)
    {
        _requestsInFlightMax = requestsInFlightMax;
        _telemetry = telemetry;
        _port = port;
        _time = time;
        _decider = decider;
        _sink = sink;
        _logger = logger;
        _observer = observer;
        _stopItemWork = stopItemWork;
        _identifier = config.Identifier;
        _syncPath = config.Path;
        _decidesOnThreadPool = port.Callbacks == PortCallbacks.DecideOnThreadPool;
        _state = MemberState.Unstarted(config);
        Confirmation = new LeaderConfirmation(time, serverTickTime);
    }

    /// <summary>What the leader is known to have heard of this member's session: the basis of every claim.</summary>
    public LeaderConfirmation Confirmation { get; }

    /// <summary>The state after the last decision; safe to read from any thread.</summary>
    public MemberState State => Volatile.Read(ref _state);

    /// <summary>The most events the mailbox has held at once, waiting to be decided (see the remarks for its bound).</summary>
    public int QueuedMax
    {
        get
        {
            lock (_gate)
            {
                return _queuedMax;
            }
        }
    }

    /// <summary>
    /// Records the header, runs Core's start and its commands, then drains whatever they posted.
    /// An exception from Core's start is thrown to the caller, with nothing left running.
    /// </summary>
    public void Start()
    {
        lock (_gate)
        {
            _draining = true;
        }

        _port.SessionChanged += OnSessionChanged;
        _telemetry.Started(_state);
        Confirmation.LeaderHeardAfter(_port.AcceptedConnectTimestamp);
        StartSyncs();
        Decision start;
        try
        {
            RecordHeader(_state.Config);
            start = _decider.Start(_state.Config);
        }
        catch
        {
            Stop();
            throw;
        }

        Apply(start.State, null, start);
        DrainQueued();
    }

    /// <summary>Queues an event, and drains the queue inline unless someone already is. False once stopped.</summary>
    public bool Post(Event @event) => Post(@event, onThreadPool: false);

    /// <summary>
    /// Queues an event and, unless someone already drains, drains the queue: inline, or from the thread pool when
    /// <paramref name="onThreadPool"/> (an answer on a client's dispatcher, which the decision and the handlers it
    /// raises must not hold). Either way the mailbox keeps the order the events were posted in. False once stopped.
    /// </summary>
    private bool Post(Event @event, bool onThreadPool)
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return false;
            }

            _queue.Enqueue(@event);
            if (_queue.Count > _queuedMax)
            {
                _queuedMax = _queue.Count;
            }

            if (_draining)
            {
                return true;
            }

            _draining = true;
        }

        if (onThreadPool)
        {
            // The one use of the pool in the shell, and never under the simulator, whose port calls back on its one
            // scheduler thread (PortCallbacks.DecideInline): the real client's dispatcher must not run the decision.
#pragma warning disable RS0030
            ThreadPool.UnsafeQueueUserWorkItem(static loop => loop.DrainQueued(), this, preferLocal: false);
#pragma warning restore RS0030
        }
        else
        {
            DrainQueued();
        }

        return true;
    }

    /// <summary>Stops taking events, forgets the session and cancels every timer. Results still on their way, and requests not yet sent, are dropped.</summary>
    public void Stop()
    {
        lock (_gate)
        {
            _stopped = true;
            _queue.Clear();
        }

        _port.SessionChanged -= OnSessionChanged;
        _telemetry.Stopped(State);
        Interlocked.Exchange(ref _syncTimer, null)?.Dispose();
        ITimer[] timers;
        lock (_timers)
        {
            timers = [.. _timers.Values];
            _timers.Clear();
        }

        foreach (var timer in timers)
        {
            timer.Dispose();
        }
    }

    private void DrainQueued()
    {
        while (true)
        {
            Event next;
            lock (_gate)
            {
                if (_stopped || !_queue.TryDequeue(out next!))
                {
                    _draining = false;
                    return;
                }
            }

            try
            {
                Process(next);
            }
            catch (Exception exception)
            {
                Halt(next, exception);
            }
        }
    }

    private void Process(Event @event)
    {
        if (@event is OperationCompleted completed)
        {
            _inFlight.Remove(completed.OpId);
        }
        else if (@event is TimerFired fired)
        {
            ForgetTimer(fired.TimerId);
        }

        var previous = _state;
        Apply(previous, @event, _decider.Decide(previous, @event));
    }

    private void Apply(MemberState previous, Event? @event, Decision decision)
    {
        Volatile.Write(ref _state, decision.State);
        var commands = decision.Commands.IsDefault ? ImmutableArray<Command>.Empty : decision.Commands;
        var seq = _seq++;
        RecordDecision(seq, @event, decision.State, commands);
        _telemetry.Decided(previous, @event, decision.State, commands);
        Log.Decided(_logger, _identifier, seq, @event, commands.Length);
        foreach (var command in commands)
        {
            Execute(command);
        }

        // The results just decided freed places: the requests waiting for one go out first, in Core's order.
        while (_unsent.Count > 0 && _inFlight.Count < _requestsInFlightMax)
        {
            Send(_unsent.Dequeue());
        }

        _observer(new Observation(previous, decision.State, @event, _inFlight.Count + _unsent.Count, Stopped: false));
    }

    /// <summary>
    /// A decider that throws is a bug: the member stops in Failure with the reason, rather than
    /// keep running on a state it can no longer trust.
    /// </summary>
    private void Halt(Event @event, Exception exception)
    {
        Log.DeciderThrew(_logger, _identifier, @event, exception);
        Stop();
        var previous = _state;
        var failed = previous.Halted($"the decider threw {exception.GetType().Name} on {@event.GetType().Name}: {exception.Message}");
        Volatile.Write(ref _state, failed);
        _observer(new Observation(previous, failed, @event, 0, Stopped: true));
    }

    private void Execute(Command command)
    {
        switch (command)
        {
            case StartTimer c:
                StartTimer(c.TimerId, c.Due);
                break;
            case CancelTimer c:
                ForgetTimer(c.TimerId);
                break;
            case StopItemWork c:
                // Answered with ItemWorkStopped once the item's work has returned (at once when none runs), after
                // this decision's observer has told the handlers: see ItemOwnership.
                _stopItemWork(c);
                break;
            case CreateNode or DeleteNode or GetChildren or Exists or Multi or MultiGetChildren or MultiGetStat or MultiGetData:
                // A request waits while any earlier one does, so requests go out in the order Core gave them.
                if (_unsent.Count > 0 || _inFlight.Count >= _requestsInFlightMax)
                {
                    _unsent.Enqueue(command);
                }
                else
                {
                    Send(command);
                }

                break;
            default:
                throw new InvalidOperationException($"The shell cannot execute the command {command}.");
        }
    }

    /// <summary>
    /// Sends one of Core's requests through the port, with a sink of its own that confirms the session and posts the
    /// answer (and the request's watch) to the mailbox. A port that throws instead of answering has a bug: the request
    /// is answered SystemError, so Core is never left waiting.
    /// </summary>
    private void Send(Command command)
    {
        var request = (ZooKeeperCommand)command;
        _inFlight.Add(request.OpId);
        var sink = new RequestInFlight(this, request.OpId, Confirmation.Sending(), write: request is CreateNode or DeleteNode or Multi);
        try
        {
            _port.Send(request, sink);
        }
        catch (Exception exception)
        {
            Log.PortFaulted(_logger, _identifier, request.OpId, exception);
            sink.Complete(FailedAnswer.For(request, ZooKeeperError.SystemError));
        }
    }

    /// <summary>Posts an answer, a watch or a session change from the port, on the thread where the port's callbacks may decide.</summary>
    private void PostFromPort(Event @event) => Post(@event, onThreadPool: _decidesOnThreadPool);

    /// <summary>
    /// The sink of one request: the port answers it here, once. Every answer of a server pins when the request reached
    /// it, for a later sync or write to confirm; a write goes through the leader, so when its outcome is the leader's it
    /// confirms the session before Core hears of it, and a lock taken is claimed from the decision on. Only the first
    /// answer and the first watch event are passed on: a port that called again (against its contract) would otherwise
    /// put events in the mailbox that no request of Core's accounts for. A later call is logged.
    /// </summary>
    private sealed class RequestInFlight(MemberLoop loop, long opId, SentRequest sent, bool write) : IRequestSink
    {
        private int _answered;
        private int _notified;

        public void Complete(OperationCompleted completed)
        {
            ArgumentNullException.ThrowIfNull(completed);
            if (Interlocked.Exchange(ref _answered, 1) != 0)
            {
                Log.AnsweredAgain(loop._logger, loop._identifier, opId, completed.GetType().Name);
                return;
            }

            if (completed.OpId != opId)
            {
                Log.AnsweredWithAnotherId(loop._logger, loop._identifier, opId, completed.OpId);
                completed = completed with { OpId = opId };
            }

            if (LeaderConfirmation.IsLeaderOutcome(completed.Error))
            {
                if (write)
                {
                    loop.Confirmation.LeaderAnswered(sent, loop._port.SessionTimeout);
                }
                else
                {
                    loop.Confirmation.Answered(sent);
                }
            }

            loop.PostFromPort(completed);
        }

        public void Notify(WatchFired fired)
        {
            ArgumentNullException.ThrowIfNull(fired);
            if (Interlocked.Exchange(ref _notified, 1) != 0)
            {
                Log.WatchFiredAgain(loop._logger, loop._identifier, opId, fired.Path, fired.Kind);
                return;
            }

            loop.PostFromPort(fired.OpId == opId ? fired : fired with { OpId = opId });
        }
    }

    private void StartTimer(long timerId, TimeSpan due)
    {
        var delay = due < TimeSpan.Zero ? TimeSpan.Zero : due;
        var timer = _time.CreateTimer(_ => Post(new TimerFired(timerId)), null, delay, Timeout.InfiniteTimeSpan);
        ITimer? replaced;
        lock (_timers)
        {
            _timers.TryGetValue(timerId, out replaced);
            _timers[timerId] = timer;
        }

        replaced?.Dispose();
    }

    private void ForgetTimer(long timerId)
    {
        ITimer? timer;
        lock (_timers)
        {
            _timers.Remove(timerId, out timer);
        }

        timer?.Dispose();
    }

    /// <summary>
    /// Sends a sync every <see cref="LeaderConfirmation.SyncInterval"/>, on the shell's own timer and outside
    /// Core: its answer goes to <see cref="Confirmation"/> only, so it changes no decision and no event log.
    /// </summary>
    private void StartSyncs()
    {
        var interval = LeaderConfirmation.SyncInterval(_port.SessionTimeout);
        _syncTimer = _time.CreateTimer(_ => SendSync(), null, TimeSpan.Zero, interval);
    }

    private void SendSync()
    {
        lock (_gate)
        {
            if (_stopped)
            {
                return;
            }
        }

        var sent = Confirmation.Sending();
        try
        {
            _port.Sync(_syncPath, error =>
            {
                if (LeaderConfirmation.IsLeaderOutcome(error))
                {
                    Confirmation.LeaderAnswered(sent, _port.SessionTimeout);
                }
            });
        }
        catch (Exception exception)
        {
            Log.PortFaulted(_logger, _identifier, -1, exception);
        }
    }

    private void OnSessionChanged(SessionChange change)
    {
        if (change == SessionChange.Reconnected)
        {
            Confirmation.LeaderHeardAfter(_port.AcceptedConnectTimestamp);
        }
        else
        {
            // Whatever was sent on the lost connection may have reached a server cut from the leader.
            Confirmation.ConnectionLost();
        }

        Event @event = change switch
        {
            SessionChange.Suspended => new SessionSuspended(),
            SessionChange.Reconnected => new SessionReconnected(),
            SessionChange.AuthFailed => new SessionAuthFailed(),
            _ => new SessionExpired(),
        };
        Log.SessionChanged(_logger, _identifier, change switch
        {
            SessionChange.Suspended => "lost its connection (suspended; it may still be alive)",
            SessionChange.Reconnected => "reconnected",
            SessionChange.AuthFailed => "ended: the server refused the credentials",
            _ => "ended (expired or closed): the member cannot own anything any more",
        });
        PostFromPort(@event);
    }

    private void RecordHeader(PartitionerConfig config)
    {
        try
        {
            _sink?.WriteHeader(config);
        }
        catch (Exception exception)
        {
            Log.EventLogThrew(_logger, _identifier, exception);
            _sink = null;
        }
    }

    private void RecordDecision(long seq, Event? @event, MemberState state, ImmutableArray<Command> commands)
    {
        try
        {
            _sink?.WriteDecision(seq, @event, state, commands);
        }
        catch (Exception exception)
        {
            Log.EventLogThrew(_logger, _identifier, exception);
            _sink = null;
        }
    }

}
