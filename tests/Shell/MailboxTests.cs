using Partitioner.Core;
using Partitioner.ZooKeeper;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Tests.Shell;

public sealed class MailboxTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly ScriptedPort _port = new();
    private readonly ScriptedDecider _decider = new();

    [Fact]
    public void Decide_WhenPortAnswersSynchronouslyAndReentrantly_GetsOneEventAtATimeInOrder()
    {
        // Given a port that answers every request before returning it, and a decision that sends a
        // request of its own, so results arrive while the shell is still inside a decision.
        _port.AnswerAtOnce = call => new CreateCompleted(call.OpId, ZooKeeperError.Ok, call.Path);
        _decider.OnStart = config => new MemberState { Config = config }.Then(
            new CreateNode(1, "/party/1", [], NodeKind.Persistent, PartyAcl.OpenUnsafe.Node),
            new CreateNode(2, "/party/2", [], NodeKind.Persistent, PartyAcl.OpenUnsafe.Node));
        _decider.OnDecide = (state, e) => e is CreateCompleted { OpId: 1 }
            ? state.Then(new CreateNode(3, "/party/3", [], NodeKind.Persistent, PartyAcl.OpenUnsafe.Node))
            : state.Then();

        // When the member starts.
        Shell.Start(_port, _time, _decider);

        // Then each result was decided on its own, after the decision that caused it, first in first out.
        Assert.Equal(1, _decider.MaxDepth);
        Assert.Equal([1L, 2L, 3L], _decider.Seen.Cast<CreateCompleted>().Select(e => e.OpId));
        Assert.Equal("/party/3", ((CreateCompleted)_decider.Seen[2]).CreatedPath);
    }

    [Fact]
    public void Start_SendsEveryCommandBeforeAnyResultComes()
    {
        // Given a port that answers only when told.
        _decider.OnStart = config => new MemberState { Config = config }.Then(
            new CreateNode(1, "/party/party/x", [], NodeKind.Ephemeral, PartyAcl.OpenUnsafe.Node),
            new DeleteNode(2, "/party/locks/a/y"),
            new Exists(3, "/party/locks/a/z", Watch: false),
            new Multi(4, [new CreateOp("/party/locks/b/n", [], NodeKind.EphemeralSequential, PartyAcl.OpenUnsafe.Node)]),
            new MultiGetChildren(5, ["/party/locks/a", "/party/locks/b"]));

        // When the member starts.
        Shell.Start(_port, _time, _decider);

        // Then all five requests are in flight at once, and nothing has been decided yet.
        Assert.Equal(["create", "delete", "exists", "multi", "multiRead"], _port.Calls.Select(c => c.Operation));
        Assert.Empty(_decider.Seen);

        // And when they are answered out of order, each result is handed over as it comes.
        _port.Calls[3].Answer(new MultiCompleted(_port.Calls[3].OpId, ZooKeeperError.Ok, [new WriteResult(ZooKeeperError.Ok, "/party/locks/b/n0000000001")]));
        _port.Calls[0].Answer(new CreateCompleted(_port.Calls[0].OpId, ZooKeeperError.NodeExists, null));
        _port.Calls[4].Answer(new MultiReadCompleted(_port.Calls[4].OpId, ZooKeeperError.Ok, [new ChildrenResult(ZooKeeperError.NoNode, [])]));
        _port.Calls[1].Answer(ZooKeeperError.NoNode);
        _port.Calls[2].Answer(ZooKeeperError.Ok);
        Assert.Equal([4L, 1L, 5L, 2L, 3L], _decider.Seen.Cast<OperationCompleted>().Select(e => e.OpId));
        Assert.Equal("/party/locks/b/n0000000001", ((MultiCompleted)_decider.Seen[0]).Results[0].CreatedPath);
        Assert.Equal(ZooKeeperError.NodeExists, ((CreateCompleted)_decider.Seen[1]).Error);
        Assert.Equal(ZooKeeperError.NoNode, ((MultiReadCompleted)_decider.Seen[2]).Results[0].Error);
    }

    [Fact]
    public void Watch_WhenItFires_BecomesWatchFiredWithTheIdOfTheCommandThatLeftIt()
    {
        // Given a children read with a watch and an exists without one.
        _decider.OnStart = config => new MemberState { Config = config }.Then(
            new GetChildren(7, "/party/party", Watch: true),
            new Exists(8, "/party/locks/a/n1", Watch: false));
        Shell.Start(_port, _time, _decider);
        _port.Calls[0].Answer(new ChildrenCompleted(_port.Calls[0].OpId, ZooKeeperError.Ok, ["b-2", "a-1"]));

        // When the server notifies the watch.
        _port.Calls[0].Watch!(WatchEventKind.NodeChildrenChanged);

        // Then Core hears of it with the read's id and path; and no watch was left where none was asked.
        Assert.Equal(new WatchFired(7, "/party/party", WatchEventKind.NodeChildrenChanged), _decider.Seen[^1]);
        Assert.Equal<string>(["b-2", "a-1"], ((ChildrenCompleted)_decider.Seen[0]).Children.ToArray());
        Assert.Null(_port.Calls[1].Watch);
    }

    [Fact]
    public void Timer_WhenDue_BecomesTimerFiredAndNotBefore()
    {
        // Given a decision that starts a 2-second timer.
        _decider.OnStart = config => new MemberState { Config = config }.Then(new StartTimer(11, TimeSpan.FromSeconds(2)));
        Shell.Start(_port, _time, _decider);

        // When 1.999 seconds pass, nothing happens; at 2 seconds the timer is decided on.
        _time.Advance(TimeSpan.FromMilliseconds(1999));
        Assert.Empty(_decider.Seen);
        _time.Advance(TimeSpan.FromMilliseconds(1));
        Assert.Equal([new TimerFired(11)], _decider.Seen);
        Assert.Equal(1, _time.ArmedTimers); // Only the shell's sync timer is left.
    }

    [Fact]
    public void CancelTimer_BeforeItIsDue_MeansItNeverFires()
    {
        // Given a timer, and a decision that cancels it when the connection drops.
        _decider.OnStart = config => new MemberState { Config = config }.Then(new StartTimer(11, TimeSpan.FromSeconds(2)));
        _decider.OnDecide = (state, e) => e is SessionSuspended ? state.Then(new CancelTimer(11)) : state.Then();
        Shell.Start(_port, _time, _decider);

        // When the connection drops and the timer's time passes.
        _port.ChangeSession(SessionChange.Suspended);
        _time.Advance(TimeSpan.FromSeconds(5));

        // Then only the suspension was decided on, and no timer is left.
        Assert.Equal([new SessionSuspended()], _decider.Seen);
        Assert.Equal(1, _time.ArmedTimers); // Only the shell's sync timer is left.
    }

    [Fact]
    public void SessionChanges_BecomeSessionEventsInOrder()
    {
        Shell.Start(_port, _time, _decider);

        _port.ChangeSession(SessionChange.Suspended);
        _port.ChangeSession(SessionChange.Reconnected);
        _port.ChangeSession(SessionChange.Expired);

        Assert.Equal([new SessionSuspended(), new SessionReconnected(), new SessionExpired()], _decider.Seen);
    }

    [Fact]
    public void PortFault_InsteadOfACode_ReachesCoreAsSystemError()
    {
        // Given a port that throws instead of answering, which its contract forbids.
        _port.AnswerAtOnce = _ => new InvalidOperationException("broken port");
        _decider.OnStart = config => new MemberState { Config = config }.Then(new DeleteNode(4, "/party/x"));

        // When the member starts.
        Shell.Start(_port, _time, _decider);

        // Then Core hears an error code it treats as fatal, rather than nothing at all.
        Assert.Equal([new DeleteCompleted(4, ZooKeeperError.SystemError)], _decider.Seen);
    }

    [Fact]
    public void Decide_WhenDeciderThrows_StopsInFailureWithTheReasonAndIgnoresLaterEvents()
    {
        // Given a decider that throws on a suspension.
        _decider.OnDecide = (state, e) => e is SessionSuspended ? throw new InvalidOperationException("bug in Core") : state.Then();
        var partitioner = Shell.Start(_port, _time, _decider);

        // When the connection drops, then comes back.
        _port.ChangeSession(SessionChange.Suspended);
        _port.ChangeSession(SessionChange.Reconnected);

        // Then the member is in Failure saying why, and nothing more is decided.
        Assert.Equal(PartitionState.Failure, partitioner.State);
        Assert.Contains("bug in Core", partitioner.FailureReason, StringComparison.Ordinal);
        Assert.Equal([new SessionSuspended()], _decider.Seen);
        Assert.False(_port.HasSessionListener);
    }

    [Fact]
    public void StateChanged_WhenAHandlerThrows_KeepsDecidingAndNotifying()
    {
        // Given a handler that throws on every change.
        _decider.OnDecide = (state, e) => e switch
        {
            SessionSuspended => state.To(PartitionState.Release).Then(),
            ReleaseRequested => state.To(PartitionState.Allocating).Then(),
            _ => state.Then(),
        };
        var partitioner = Shell.Start(_port, _time, _decider);
        var changes = new List<PartitionStateChangedEventArgs>();
        partitioner.StateChanged += (_, args) => changes.Add(args);
        partitioner.StateChanged += (_, _) => throw new InvalidOperationException("handler bug");

        // When two changes happen.
        _port.ChangeSession(SessionChange.Suspended);
        _ = partitioner.ReleaseSetAsync();

        // Then both were decided and both reported, with the old and new states and the state id.
        Assert.Equal(PartitionState.Allocating, partitioner.State);
        Assert.Equal(
            [(PartitionState.Allocating, PartitionState.Release, 1L), (PartitionState.Release, PartitionState.Allocating, 2L)],
            changes.Select(c => (c.OldState, c.NewState, c.StateId)));
    }

    [Fact]
    public void Post_FromManyThreadsAtOnce_DecidesEveryEventExactlyOnceAndNeverTwoAtATime()
    {
        // Given a member whose decisions take a little while, and whose reads complete at once.
        _port.AnswerAtOnce = call => new ChildrenCompleted(call.OpId, ZooKeeperError.Ok, []);
        _decider.OnDecide = (state, e) =>
        {
            Thread.SpinWait(200);
            return e is SessionSuspended ? state.Then(new GetChildren(0, "/party/party", Watch: false)) : state.Then();
        };
        Shell.Start(_port, _time, _decider);
        const int threads = 4;
        const int eventsPerThread = 250;

        // When several threads report session changes at the same time.
        using var start = new Barrier(threads);
        var workers = Enumerable.Range(0, threads).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (var i = 0; i < eventsPerThread; i++)
            {
                _port.ChangeSession(SessionChange.Suspended);
            }
        })).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());

        // Then every event and every read's result was decided, one at a time.
        Assert.False(_decider.Overlapped);
        Assert.Equal(threads * eventsPerThread, _decider.Seen.Count(e => e is SessionSuspended));
        Assert.Equal(threads * eventsPerThread, _decider.Seen.Count(e => e is ChildrenCompleted));
    }

    [Fact]
    public void Watch_WhenThePortCallsItTwice_ReachesCoreOnce()
    {
        // Given a children read that left a watch.
        _decider.OnStart = config => new MemberState { Config = config }.Then(new GetChildren(7, "/party/party", Watch: true));
        Shell.Start(_port, _time, _decider);
        _port.Calls[0].Answer(new ChildrenCompleted(_port.Calls[0].OpId, ZooKeeperError.Ok, []));

        // When the port calls the watch's callback twice, against its contract (a ZooKeeper watch fires once).
        _port.Calls[0].Watch!(WatchEventKind.NodeChildrenChanged);
        _port.Calls[0].Watch!(WatchEventKind.Disconnected);

        // Then Core hears of the watch once, the first time: an event no request of its own accounts for never
        // reaches the mailbox.
        Assert.Equal([new WatchFired(7, "/party/party", WatchEventKind.NodeChildrenChanged)], _decider.Seen.OfType<WatchFired>());
    }

    [Fact]
    public void Mailbox_WhenEverythingAnswersDuringOneDecision_HoldsAtMostTheRequestsInFlightAndTheWatchesAndSessionChangesThatCame()
    {
        // Given a port that answers every request before returning it, and a start that sends 300 deletes and a
        // watching read: every answer comes while the start is still being decided, so all 301 wait in the mailbox.
        const int deletes = 300;
        _port.AnswerAtOnce = call => call.Operation == "delete" ? ZooKeeperError.Ok : new ChildrenCompleted(call.OpId, ZooKeeperError.Ok, []);
        _decider.OnStart = config => new MemberState { Config = config }.Then(
            [.. Enumerable.Range(1, deletes).Select(i => (Command)new DeleteNode(i, $"/party/locks/{i}/n")),
                new GetChildren(deletes + 1, "/party/party", Watch: true)]);

        // And the first result's decision, while the other 300 results wait, sees the watch fire (its callback called
        // twice) and the connection drop.
        _decider.OnDecide = (state, e) =>
        {
            if (e is DeleteCompleted { OpId: 1 })
            {
                var read = _port.Calls.Single(c => c.Operation == "children");
                read.Watch!(WatchEventKind.NodeChildrenChanged);
                read.Watch!(WatchEventKind.NodeChildrenChanged);
                _port.ChangeSession(SessionChange.Suspended);
            }

            return state.Then();
        };

        // When the member starts.
        var partitioner = Shell.Start(_port, _time, _decider);

        // Then every event was decided, and the mailbox never held more than the bound: during the first result's
        // decision, the 300 results of requests still in flight, the watch's one event and the one session change.
        Assert.Equal(deletes + 1 + 1 + 1, _decider.Seen.Count);
        Assert.Equal(deletes + 1 + 1, partitioner.MailboxQueuedMax);
    }

    [Fact]
    public void RequestsInFlightMax_WhenCoreAsksForMore_SendsTheRestInCoresOrderAsResultsAreDecided()
    {
        // Given a member that may have two requests out, and a start that asks for five deletes and a timer.
        _decider.OnStart = config => new MemberState { Config = config }.Then(
            [.. Enumerable.Range(1, 5).Select(i => (Command)new DeleteNode(i, $"/party/locks/{i}/n")), new StartTimer(9, TimeSpan.FromSeconds(5))]);

        // When the member starts.
        Start(requestsInFlightMax: 2);

        // Then two deletes are out, the other three wait unsent, and the timer (not a request) started anyway.
        Assert.Equal(["/party/locks/1/n", "/party/locks/2/n"], _port.Calls.Select(c => c.Path));
        Assert.Equal(2, _time.ArmedTimers); // The shell's sync timer and the member's.

        // And each result decided frees one place, which the next delete in Core's order takes, whichever result it was.
        _port.Calls[1].Answer(ZooKeeperError.Ok);
        Assert.Equal(["/party/locks/1/n", "/party/locks/2/n", "/party/locks/3/n"], _port.Calls.Select(c => c.Path));
        _port.Calls[0].Answer(ZooKeeperError.Ok);
        _port.Calls[2].Answer(ZooKeeperError.NoNode);
        Assert.Equal(5, _port.Calls.Count);
        Assert.Equal("/party/locks/5/n", _port.Calls[4].Path);
        _port.Calls[3].Answer(ZooKeeperError.Ok);
        _port.Calls[4].Answer(ZooKeeperError.Ok);

        // Then nothing was dropped: every delete was sent once and its result decided.
        Assert.Equal(5, _port.Calls.Count);
        Assert.Equal([2L, 1L, 3L, 4L, 5L], _decider.Seen.Cast<DeleteCompleted>().Select(e => e.OpId));
    }

    [Fact]
    public void Mailbox_WhenEveryRequestIsAnsweredAtOnce_HoldsNoMoreResultsThanRequestsInFlightMax()
    {
        // Given a port that answers every request before returning it, and a start that asks for 300 deletes, each of
        // whose decisions asks for one more: without the limit all 300 results would wait in the mailbox at once.
        _port.AnswerAtOnce = _ => ZooKeeperError.Ok;
        _decider.OnStart = config => new MemberState { Config = config }.Then(
            [.. Enumerable.Range(1, 300).Select(i => (Command)new DeleteNode(i, $"/party/locks/{i}/n"))]);
        _decider.OnDecide = (state, e) => e is DeleteCompleted { OpId: <= 300 } d
            ? state.Then(new DeleteNode(d.OpId + 1000, $"/party/locks/{d.OpId}/m"))
            : state.Then();

        // When the member starts, allowed ten requests out at once.
        var partitioner = Start(requestsInFlightMax: 10);

        // Then every request went out once, the first 300 in Core's order, and every result was decided; the mailbox
        // never held more than ten.
        Assert.Equal(600, _port.Calls.Count);
        Assert.Equal(Enumerable.Range(1, 300).Select(i => $"/party/locks/{i}/n"), _port.Calls.Where(c => c.Path.EndsWith("/n", StringComparison.Ordinal)).Select(c => c.Path));
        Assert.Equal(600, _decider.Seen.OfType<DeleteCompleted>().Select(e => e.OpId).Distinct().Count());
        Assert.Equal(10, partitioner.MailboxQueuedMax);
    }

    private SetPartitioner Start(int requestsInFlightMax)
    {
        var options = Shell.Options(_time);
        options.RequestsInFlightMax = requestsInFlightMax;
        return new SetPartitioner(_port, "/party", ["a", "b", "c"], options, _decider.Functions);
    }
}
