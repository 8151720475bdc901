using System.Collections.Immutable;
using System.Text;
using Partitioner.Core;
using ZooKeeper.Client;

namespace Partitioner.Cli.Inspect;

/// <summary>A party node as read: <c>P/party/&lt;prefix&gt;-&lt;identifier&gt;</c>, its session and creation time.</summary>
internal sealed record PartyNodeInfo(string Name, string Prefix, string Identifier, long Session, DateTimeOffset Created);

/// <summary>A lock contender as read: <c>P/locks/&lt;item&gt;/&lt;prefix&gt;__lock__&lt;sequence&gt;</c>.</summary>
internal sealed record LockNodeInfo(string Item, string Name, string Prefix, string Sequence, long Session, DateTimeOffset Created, string Data);

/// <summary>Everything <c>inspect</c> read of one party, at one moment.</summary>
internal sealed record PartySnapshot(
    string Path,
    DateTimeOffset ReadAt,
    ImmutableArray<PartyNodeInfo> Party,
    ImmutableArray<string> Items,
    bool ItemsFromLocks,
    ImmutableDictionary<string, ImmutableArray<LockNodeInfo>> Locks,
    int Requests);

/// <summary>
/// Reads a party in a bounded number of batched requests: the children of <c>P/party</c> (and of <c>P/locks</c> when
/// the items are not given), then multiReads of at most <see cref="BatchSize"/> reads each: the party nodes' data and
/// stats, the lock folders' children, the lock nodes' data and stats. At most <see cref="BatchesInFlightMax"/>
/// multiReads are in flight at once, so a large party neither floods the server nor this process.
/// </summary>
internal sealed class PartyReader(ZooKeeperClient client, TimeProvider time)
{
    public const int BatchSize = 250;
    public const int BatchesInFlightMax = 4;

    /// <summary>Reads <paramref name="path"/>; null when neither <c>P/party</c> nor <c>P/locks</c> exists.</summary>
    public async Task<PartySnapshot?> ReadAsync(string path, ImmutableArray<string>? items, CancellationToken cancellationToken)
    {
        var requests = 0;
        var partyChildren = await ChildrenOrNull(ZnodePaths.Party(path), cancellationToken);
        requests++;
        ImmutableArray<string>? fromLocks = null;
        if (items is null)
        {
            fromLocks = await ChildrenOrNull(ZnodePaths.Locks(path), cancellationToken);
            requests++;
        }

        if (partyChildren is null)
        {
            var locksExist = items is null
                ? fromLocks is not null
                : await client.ExistsAsync(ZnodePaths.Locks(path), cancellationToken: cancellationToken) is not null;
            requests += items is null ? 0 : 1;
            if (!locksExist)
            {
                return null;
            }
        }

        var itemList = items ?? fromLocks ?? ImmutableArray<string>.Empty;
        var party = partyChildren ?? ImmutableArray<string>.Empty;

        var partyReads = await ReadAll([.. party.Select(n => ReadOp.GetData(ZnodePaths.Party(path) + "/" + n))], cancellationToken);
        requests += Batches(party.Length);
        var partyNodes = party.Zip(partyReads)
            .Where(p => p.Second is DataReadResult)
            .Select(p => PartyNodeOf(p.First, (DataReadResult)p.Second))
            .ToImmutableArray();

        var folderReads = await ReadAll([.. itemList.Select(i => ReadOp.GetChildren(ZnodePaths.LockFolder(path, i)))], cancellationToken);
        requests += Batches(itemList.Length);
        var contenders = itemList.Zip(folderReads)
            .SelectMany(p => p.Second is ChildrenReadResult c
                ? c.Children.Where(n => LockNode.SequenceOf(n) is not null).Select(n => (Item: p.First, Name: n))
                : [])
            .ToList();

        var lockReads = await ReadAll([.. contenders.Select(c => ReadOp.GetData(ZnodePaths.LockFolder(path, c.Item) + "/" + c.Name))], cancellationToken);
        requests += Batches(contenders.Count);
        var locks = contenders.Zip(lockReads)
            .Where(p => p.Second is DataReadResult)
            .Select(p => LockNodeOf(p.First.Item, p.First.Name, (DataReadResult)p.Second))
            .GroupBy(l => l.Item, StringComparer.Ordinal)
            .ToImmutableDictionary(
                g => g.Key,
                g => g.OrderBy(l => l.Sequence, StringComparer.Ordinal).ToImmutableArray(),
                StringComparer.Ordinal);

        return new PartySnapshot(path, time.GetUtcNow(), partyNodes, itemList, items is null, locks, requests);
    }

    private static int Batches(int reads) => (reads + BatchSize - 1) / BatchSize;

    private async Task<ImmutableArray<string>?> ChildrenOrNull(string path, CancellationToken cancellationToken)
    {
        try
        {
            return [.. await client.GetChildrenAsync(path, cancellationToken: cancellationToken)];
        }
        catch (NoNodeException)
        {
            return null;
        }
    }

    /// <summary>Runs the reads in multiReads of <see cref="BatchSize"/>, at most <see cref="BatchesInFlightMax"/> at a time, results in order.</summary>
    private async Task<List<ReadResult>> ReadAll(List<ReadOp> reads, CancellationToken cancellationToken)
    {
        var batches = reads.Chunk(BatchSize).ToList();
        var results = new List<ReadResult>(reads.Count);
        foreach (var wave in batches.Chunk(BatchesInFlightMax))
        {
            var answers = await Task.WhenAll(wave.Select(batch => client.MultiReadAsync(batch, cancellationToken)));
            foreach (var answer in answers)
            {
                results.AddRange(answer);
            }
        }

        return results;
    }

    private static PartyNodeInfo PartyNodeOf(string name, DataReadResult read)
    {
        var dash = name.IndexOf('-', StringComparison.Ordinal);
        return new PartyNodeInfo(
            name,
            dash < 0 ? "" : name[..dash],
            PartyNode.IdentifierOf(name),
            read.Stat.EphemeralOwner,
            DateTimeOffset.FromUnixTimeMilliseconds(read.Stat.Ctime));
    }

    private static LockNodeInfo LockNodeOf(string item, string name, DataReadResult read)
    {
        var sequence = LockNode.SequenceOf(name)!;
        var prefix = name[..(name.Length - sequence.Length - ZnodePaths.LockMarker.Length)];
        return new LockNodeInfo(
            item, name, prefix, sequence, read.Stat.EphemeralOwner, DateTimeOffset.FromUnixTimeMilliseconds(read.Stat.Ctime), Decode(read.Data));
    }

    private static string Decode(byte[] data)
    {
        try
        {
            return new UTF8Encoding(false, true).GetString(data);
        }
        catch (DecoderFallbackException)
        {
            return Convert.ToHexString(data);
        }
    }
}
