using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Tests.Shell;

/// <summary>One request the shell sent to <see cref="ScriptedPort"/>; the test answers it when it likes.</summary>
internal sealed class PortCall(ZooKeeperCommand request, IRequestSink sink)
{
    public ZooKeeperCommand Request { get; } = request;

    public long OpId => Request.OpId;

    public required string Operation { get; init; }

    public required string Path { get; init; }

    /// <summary>The request's watch, for a watching read: calling it fires the watch, as the port would.</summary>
    public Action<WatchEventKind>? Watch => Request is GetChildren { Watch: true } or Exists { Watch: true }
        ? kind => sink.Notify(new WatchFired(OpId, Path, kind))
        : null;

    public ImmutableArray<WriteOp> Ops => Request is Multi multi ? multi.Ops : [];

    public bool Answered { get; private set; }

    /// <summary>
    /// Answers the request, synchronously on the caller's thread, as the simulator does: with Core's event for it, or
    /// with a bare code (the request failing as a whole, or a delete's or an exists's plain answer).
    /// </summary>
    public void Answer(object outcome)
    {
        Answered = true;
        sink.Complete(outcome switch
        {
            OperationCompleted completed => completed,
            ZooKeeperError code => FailedAnswer.For(Request, code),
            _ => throw new ArgumentException($"{outcome} is not an answer a port gives.", nameof(outcome)),
        });
    }
}

/// <summary>
/// A port whose every request waits for the test to answer it, unless <see cref="AnswerAtOnce"/> gives an
/// answer, in which case the request is answered inside <see cref="Send"/>; an exception it gives is thrown there (a
/// port that breaks its contract).
/// </summary>
internal sealed class ScriptedPort : IZooKeeperPort
{
    private readonly object _gate = new();
    private readonly List<PortCall> _calls = [];

    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(9);

    public long LastConfirmedTimestamp { get; set; }

    public long? AcceptedConnectTimestamp { get; set; }

    public PortCallbacks Callbacks => PortCallbacks.DecideInline;

    /// <summary>What every sync is answered with, at once; null leaves syncs unanswered (a follower cut from the leader).</summary>
    public ZooKeeperError? SyncAnswer { get; set; } = ZooKeeperError.Ok;

    /// <summary>How many syncs the shell sent (they are not in <see cref="Calls"/>).</summary>
    public int Syncs { get; private set; }

    /// <summary>Returns the answer for a request to get at once, or null to leave it pending.</summary>
    public Func<PortCall, object?>? AnswerAtOnce { get; set; }

    public event Action<SessionChange>? SessionChanged;

    public IReadOnlyList<PortCall> Calls
    {
        get
        {
            lock (_gate)
            {
                return [.. _calls];
            }
        }
    }

    public bool HasSessionListener => SessionChanged is not null;

    public void ChangeSession(SessionChange change) => SessionChanged?.Invoke(change);

    public void Send(ZooKeeperCommand request, IRequestSink sink)
    {
        var call = request switch
        {
            CreateNode c => new PortCall(request, sink) { Operation = "create", Path = c.Path },
            DeleteNode c => new PortCall(request, sink) { Operation = "delete", Path = c.Path },
            GetChildren c => new PortCall(request, sink) { Operation = "children", Path = c.Path },
            Exists c => new PortCall(request, sink) { Operation = "exists", Path = c.Path },
            Multi => new PortCall(request, sink) { Operation = "multi", Path = "" },
            MultiGetChildren c => new PortCall(request, sink) { Operation = "multiRead", Path = string.Join(",", c.Paths) },
            MultiGetStat c => new PortCall(request, sink) { Operation = "multiStat", Path = string.Join(",", c.Paths) },
            MultiGetData c => new PortCall(request, sink) { Operation = "multiData", Path = string.Join(",", c.Paths) },
            _ => throw new ArgumentException($"The request {request} is not one the scripted port knows.", nameof(request)),
        };
        lock (_gate)
        {
            _calls.Add(call);
        }

        switch (AnswerAtOnce?.Invoke(call))
        {
            case null:
                break;
            case Exception exception:
                throw exception;
            case var outcome:
                call.Answer(outcome);
                break;
        }
    }

    public void Sync(string path, Action<ZooKeeperError> answered)
    {
        Syncs++;
        if (SyncAnswer is { } answer)
        {
            answered(answer);
        }
    }
}
