using System.Collections.Immutable;
using Partitioner.ZooKeeper;
using ZooKeeper.Client;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// The C# members of one test, on the shared client unless given their own; disposing finishes every member
/// still running and closes every client, so a failing test leaves no session behind.
/// </summary>
internal sealed class MemberGroup : IAsyncDisposable
{
    private readonly List<SetPartitioner> _members = [];
    private readonly List<ZooKeeperClient> _clients = [];

    private MemberGroup(ZooKeeperClient shared, string path)
    {
        Shared = shared;
        Path = path;
        _clients.Add(shared);
    }

    /// <summary>The client the members share, as kazoo's tests share one.</summary>
    public ZooKeeperClient Shared { get; }

    /// <summary>The party's root znode.</summary>
    public string Path { get; }

    /// <summary>The members, in the order they were added.</summary>
    public IReadOnlyList<SetPartitioner> Members => _members;

    public static async Task<MemberGroup> Connect(string connectString, string path) =>
        new(await PartitionerTestKit.Connect(connectString), path);

    /// <summary>Adds a member on the shared client.</summary>
    public SetPartitioner Add(string? identifier, ImmutableArray<string> items, string? prefix = null) =>
        Add(Shared, identifier, items, prefix);

    /// <summary>Adds a member on <paramref name="client"/>, which the group closes at the end.</summary>
    public SetPartitioner Add(ZooKeeperClient client, string? identifier, ImmutableArray<string> items, string? prefix = null)
    {
        if (!_clients.Contains(client))
        {
            _clients.Add(client);
        }

        var member = new SetPartitioner(client, Path, items, PartitionerTestKit.Options(identifier, prefix));
        _members.Add(member);
        return member;
    }

    public async ValueTask DisposeAsync()
    {
        await Task.WhenAll(_members.Select(m => m.DisposeAsync().AsTask())).WaitAsync(PartitionerTestKit.WaitMax);
        await Task.WhenAll(_clients.Select(c => c.CloseAsync()));
    }
}
