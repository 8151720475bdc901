using System.Diagnostics;
using System.Text;
using ZooKeeper.Client;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>
/// The floor under <c>--scale</c>'s figure: the bare ZooKeeper.Client, with no Core and no shell, sending the ZooKeeper
/// work of a first allocation of N items on the same server — per item its lock folder (persistent) and an ephemeral
/// sequential lock node in it, two creates per item in multis of 250 ops (125 items), every multi sent at once as the
/// shell sends them. What this takes end to end is what the server and the client allow on this machine; ours beside
/// it is that plus Core, the shell and the member's setup.
/// </summary>
internal sealed class FloorBench(BenchContext context)
{
    // Core's default batch size is 250 ops; a folder-and-lock multi carries half as many items.
    private const int ItemsPerMulti = 125;
    private const string ContenderPrefix = "0123456789abcdef0123456789abcdef";

    /// <summary>One run on a fresh path: the tree's parents are made first (untimed), then every multi is sent and awaited.</summary>
    public async Task<(double Seconds, double ClientCpu, double ServerCpu)> RunAsync(int items, string label)
    {
        string path = context.NewPath();
        var names = MemberHarness.Items(items);
        var data = Encoding.UTF8.GetBytes("memory");
        try
        {
            // Its own client and session, as a member has: the ephemeral nodes go with it before the tree is removed.
            await using (var client = await ZooKeeperClient.ConnectAsync(context.ConnectString,
                new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(20), FrameBytesMax = 16 << 20 }))
            {
                await client.CreateAsync(path, default, CreateMode.Persistent, Acl.OpenUnsafe);
                await client.CreateAsync(path + "/locks", default, CreateMode.Persistent, Acl.OpenUnsafe);
                var cpu = Process.GetCurrentProcess().TotalProcessorTime;
                double serverCpu = context.ServerCpuSeconds();
                long started = Stopwatch.GetTimestamp();
                var sent = new List<Task<IReadOnlyList<OpResult>>>((items + ItemsPerMulti - 1) / ItemsPerMulti);
                for (int first = 0; first < items; first += ItemsPerMulti)
                {
                    var ops = new List<Op>(2 * ItemsPerMulti);
                    for (int i = first; i < Math.Min(items, first + ItemsPerMulti); i++)
                    {
                        string folder = $"{path}/locks/{names[i]}";
                        ops.Add(Op.Create(folder, default, CreateMode.Persistent, Acl.OpenUnsafe));
                        ops.Add(Op.Create($"{folder}/{ContenderPrefix}__lock__", data, CreateMode.EphemeralSequential, Acl.OpenUnsafe));
                    }

                    sent.Add(client.MultiAsync(ops));
                }

                await Task.WhenAll(sent);
                double seconds = Stopwatch.GetElapsedTime(started).TotalSeconds;
                double ourCpu = (Process.GetCurrentProcess().TotalProcessorTime - cpu).TotalSeconds;
                serverCpu = context.ServerCpuSeconds() - serverCpu;
                context.Progress($"floor memory {items} ({label}): the bare client's {sent.Count} multis ({2 * items} creates) answered in {Format.Duration(seconds)}; "
                    + $"CPU: this process {Format.Duration(ourCpu)}, the server {Format.Duration(serverCpu)}");
                return (seconds, ourCpu, serverCpu);
            }
        }
        finally
        {
            await context.RemoveTreeAsync(path);
        }
    }
}
