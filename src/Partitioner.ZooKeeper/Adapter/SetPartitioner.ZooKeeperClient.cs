using Partitioner.ZooKeeper.Adapter;
using ZooKeeper.Client;

namespace Partitioner.ZooKeeper;

/// <content>The entry point over a connected <see cref="ZooKeeperClient"/>.</content>
public sealed partial class SetPartitioner
{
    /// <summary>
    /// Creates a member of the party at <paramref name="path"/> working through <paramref name="client"/>, and
    /// starts it: it joins the party, waits for it to be stable for <see cref="SetPartitionerOptions.TimeBoundary"/>,
    /// then takes its share. Disposing the partitioner leaves the party; closing the client stays the caller's job.
    /// </summary>
    /// <param name="client">A connected client; several partitioners may share one.</param>
    /// <param name="path">The party's root znode; its children are <c>locks</c> and <c>party</c>.</param>
    /// <param name="items">The items to divide; every member must be given the same ones.</param>
    /// <param name="options">
    /// The options; the defaults when null. Their <see cref="SetPartitionerOptions.TimeProvider"/> must be the
    /// client's (<see cref="ZooKeeperClient.TimeProvider"/>), since ownership is judged by when the client last heard
    /// from the server; when <paramref name="options"/> is null the client's is used.
    /// </param>
    /// <exception cref="ArgumentException">A value is not valid; the message names it.</exception>
    public SetPartitioner(ZooKeeperClient client, string path, IEnumerable<string> items, SetPartitionerOptions? options = null)
        : this(PortFor(client, options), path, items, options ?? new SetPartitionerOptions { TimeProvider = client.TimeProvider })
    {
    }

    private static ZooKeeperClientPort PortFor(ZooKeeperClient client, SetPartitionerOptions? options)
    {
        ArgumentNullException.ThrowIfNull(client);
        if (options is not null && !ReferenceEquals(options.TimeProvider, client.TimeProvider))
        {
            throw new ArgumentException(
                $"SetPartitionerOptions.TimeProvider ({options.TimeProvider}) is not the client's ({client.TimeProvider}); "
                + "ownership is judged by the client's clock, so give both the same one.",
                nameof(options));
        }

        return new ZooKeeperClientPort(client);
    }
}
