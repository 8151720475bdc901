using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Tests.Shell;

/// <summary>One request the shell sent to <see cref="ScriptedPort"/>; the test answers it when it likes.</summary>
internal sealed class PortCall
{
    private Action<object>? _answer;

    public required string Operation { get; init; }

    public required string Path { get; init; }

    public Action<WatchEventKind>? Watch { get; init; }

    public ImmutableArray<WriteOp> Ops { get; init; } = [];

    public bool Answered { get; private set; }

    /// <summary>Completes the request's task, synchronously on the caller's thread, as the simulator does.</summary>
    public void Answer(object outcome)
    {
        Answered = true;
        _answer!(outcome);
    }

    public Task<T> Pending<T>()
    {
        var completion = new TaskCompletionSource<T>();
        _answer = o =>
        {
            if (o is Exception exception)
            {
                completion.SetException(exception);
            }
            else
            {
                completion.SetResult((T)o);
            }
        };
        return completion.Task;
    }
}

/// <summary>
/// A port whose every request waits for the test to answer it, unless <see cref="AnswerAtOnce"/> gives an
/// answer, in which case the task is already complete when the shell gets it.
/// </summary>
internal sealed class ScriptedPort : IZooKeeperPort
{
    private readonly object _gate = new();
    private readonly List<PortCall> _calls = [];

    public TimeSpan SessionTimeout { get; set; } = TimeSpan.FromSeconds(9);

    public long LastConfirmedTimestamp { get; set; }

    public long? AcceptedConnectTimestamp { get; set; }

    /// <summary>What every sync is answered with, at once; null leaves syncs unanswered (a follower cut from the leader).</summary>
    public ZooKeeperError? SyncAnswer { get; set; } = ZooKeeperError.Ok;

    /// <summary>How many syncs the shell sent (they are not in <see cref="Calls"/>).</summary>
    public int Syncs { get; private set; }

    /// <summary>Returns the outcome for a request to complete at once, or null to leave it pending.</summary>
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

    public Task<CreateOutcome> CreateAsync(string path, ReadOnlyMemory<byte> data, NodeKind kind, ImmutableArray<AclEntry> acl) =>
        Send<CreateOutcome>(new PortCall { Operation = "create", Path = path });

    public Task<ZooKeeperError> DeleteAsync(string path) => Send<ZooKeeperError>(new PortCall { Operation = "delete", Path = path });

    public Task<ChildrenOutcome> GetChildrenAsync(string path, Action<WatchEventKind>? watch) =>
        Send<ChildrenOutcome>(new PortCall { Operation = "children", Path = path, Watch = watch });

    public Task<ZooKeeperError> ExistsAsync(string path, Action<WatchEventKind>? watch) =>
        Send<ZooKeeperError>(new PortCall { Operation = "exists", Path = path, Watch = watch });

    public Task<MultiOutcome> MultiAsync(ImmutableArray<WriteOp> ops) =>
        Send<MultiOutcome>(new PortCall { Operation = "multi", Path = "", Ops = ops });

    public Task<MultiReadOutcome> MultiGetChildrenAsync(ImmutableArray<string> paths) =>
        Send<MultiReadOutcome>(new PortCall { Operation = "multiRead", Path = string.Join(",", paths) });

    public Task<ZooKeeperError> SyncAsync(string path)
    {
        Syncs++;
        return SyncAnswer is { } answer ? Task.FromResult(answer) : new TaskCompletionSource<ZooKeeperError>().Task;
    }

    public Task<MultiStatOutcome> MultiGetStatAsync(ImmutableArray<string> paths) =>
        Send<MultiStatOutcome>(new PortCall { Operation = "multiStat", Path = string.Join(",", paths) });

    public Task<MultiDataOutcome> MultiGetDataAsync(ImmutableArray<string> paths) =>
        Send<MultiDataOutcome>(new PortCall { Operation = "multiData", Path = string.Join(",", paths) });

    private Task<T> Send<T>(PortCall call)
    {
        lock (_gate)
        {
            _calls.Add(call);
        }

        var task = call.Pending<T>();
        if (AnswerAtOnce?.Invoke(call) is { } outcome)
        {
            call.Answer(outcome);
        }

        return task;
    }
}
