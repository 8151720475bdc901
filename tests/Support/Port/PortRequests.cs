using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Tests.Support.Port;

/// <summary>
/// Awaitable forms of a port's requests, for tests that drive a port by hand (as the shell does, but one request at a
/// time): each sends the same request Core would, with op id 0, and completes with the port's answer. A task's
/// continuations run where the port answers (synchronously), so a test can see the order the port answers in.
/// </summary>
internal static class PortRequests
{
    public static Task<CreateCompleted> CreateAsync(this IZooKeeperPort port, string path, ReadOnlyMemory<byte> data, NodeKind kind, ImmutableArray<AclEntry> acl) =>
        port.Send<CreateCompleted>(new CreateNode(0, path, [.. data.Span], kind, acl));

    public static async Task<ZooKeeperError> DeleteAsync(this IZooKeeperPort port, string path) =>
        (await port.Send<DeleteCompleted>(new DeleteNode(0, path))).Error;

    public static Task<ChildrenCompleted> GetChildrenAsync(this IZooKeeperPort port, string path, Action<WatchEventKind>? watch) =>
        port.Send<ChildrenCompleted>(new GetChildren(0, path, watch is not null), watch);

    public static async Task<ZooKeeperError> ExistsAsync(this IZooKeeperPort port, string path, Action<WatchEventKind>? watch) =>
        (await port.Send<ExistsCompleted>(new Exists(0, path, watch is not null), watch)).Error;

    public static Task<MultiCompleted> MultiAsync(this IZooKeeperPort port, ImmutableArray<WriteOp> ops) =>
        port.Send<MultiCompleted>(new Multi(0, ops));

    public static Task<MultiReadCompleted> MultiGetChildrenAsync(this IZooKeeperPort port, ImmutableArray<string> paths) =>
        port.Send<MultiReadCompleted>(new MultiGetChildren(0, paths));

    private static Task<T> Send<T>(this IZooKeeperPort port, ZooKeeperCommand request, Action<WatchEventKind>? watch = null)
        where T : OperationCompleted
    {
        var sink = new AwaitedAnswer<T>(watch);
        port.Send(request, sink);
        return sink.Task;
    }

    private sealed class AwaitedAnswer<T>(Action<WatchEventKind>? watch) : IRequestSink
        where T : OperationCompleted
    {
        private readonly TaskCompletionSource<T> _completion = new();

        public Task<T> Task => _completion.Task;

        public void Complete(OperationCompleted completed) => _completion.TrySetResult((T)completed);

        public void Notify(WatchFired fired) => watch?.Invoke(fired.Kind);
    }
}
