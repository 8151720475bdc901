using System.Text;
using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.Deciding;

/// <summary>Requests stay well under ZooKeeper's 1 MiB frame limit whatever the batch size, by splitting on encoded size too.</summary>
public sealed class RequestSizeTests
{
    private const int HalfMebibyte = 512 * 1024;

    private static int RawBytes(ZooKeeperCommand command) => command switch
    {
        Multi multi => multi.Ops.Sum(op => Encoding.UTF8.GetByteCount(op.Path) + (op is CreateOp create ? create.Data.Length : 0)),
        MultiGetChildren reads => reads.Paths.Sum(Encoding.UTF8.GetByteCount),
        _ => 0,
    };

    [Fact]
    public void Allocation_WhenItemNamesAreLongAndTheBatchSizeIsTheLargest_KeepsEveryRequestUnderHalfAMebibyte()
    {
        var items = Enumerable.Range(0, 1000).Select(i => i.ToString("D4", System.Globalization.CultureInfo.InvariantCulture) + new string('x', 2000));
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", items, batchSize: PartitionerConfig.BatchSizeMax));
        cluster.Settle();
        int before = member.Commands.Count;

        cluster.FireTimers(member);

        var requests = member.SentSince(before).Where(c => c is Multi or MultiGetChildren).ToList();
        Assert.All(requests, request => Assert.InRange(RawBytes(request), 1, HalfMebibyte));
        // 1,000 items of 2 KB at two paths each are ~4 MB: at least eight requests, not the one the count allows.
        Assert.True(requests.Count >= 8, $"{requests.Count} requests");
        Assert.Equal(1000, member.Acquired.Length);
    }

    [Fact]
    public void Allocation_WhenItemNamesAreShort_StillBatchesByCount()
    {
        var cluster = new Cluster();
        var member = cluster.Join(Configs.For("0", 1000, batchSize: PartitionerConfig.BatchSizeMax));
        cluster.Settle();
        int before = member.Commands.Count;

        cluster.FireTimers(member);

        // Each multi holds 500 folders with their lock nodes: the count limit, 1,000 ops.
        Assert.Equal([1000, 1000], member.SentSince(before).OfType<Multi>().Select(m => m.Ops.Length));
    }
}
