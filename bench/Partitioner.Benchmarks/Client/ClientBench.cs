using System.Diagnostics;
using System.Globalization;
using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;

namespace Partitioner.Benchmarks.Client;

/// <summary>
/// Throughput of one ZooKeeperClient session against a local ZooKeeper 3.8 server that the benchmark starts
/// (or <c>--connect HOST:PORT</c>): N creates, get-children and deletes issued one after another (serial),
/// all at once (pipelined), and batched with multi and multiRead. Prints the median, minimum and maximum
/// over several repetitions, and microseconds per operation.
/// </summary>
internal static class ClientBench
{
    private const int BatchSize = 250;
    private const int BatchedOps = 5000;

    public static async Task<int> RunAsync(string[] args)
    {
        var isShort = args.Contains("--short");
        var connectIndex = Array.IndexOf(args, "--connect");
        var connect = connectIndex >= 0 && connectIndex + 1 < args.Length ? args[connectIndex + 1] : null;
        var count = isShort ? 200 : 2000;
        var repetitions = isShort ? 2 : 4;
        var rounds = isShort ? 1 : 3;

        using var server = connect is null ? ZooKeeperServerProcess.StartNew(new ZooKeeperServerSettings { TickTimeMs = 2000 }) : null;
        var connectString = connect ?? server!.ConnectString;
        await using var zk = await ZooKeeperClient.ConnectAsync(connectString, new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(20) });

        // TLS needs the Netty connection factory, so a second server runs it: its plaintext port and its TLS port
        // are served by the same factory, and the TLS rows differ from the rows beside them by TLS only.
        using var certificates = connect is null ? TestCertificates.Create() : null;
        var securePort = FreePort.Next();
        using var nettyServer = certificates is null
            ? null
            : ZooKeeperServerProcess.StartNew(new ZooKeeperServerSettings { TickTimeMs = 2000, ExtraConfig = certificates.ServerConfig(securePort, "none") });
        await using var nettyZk = nettyServer is null ? null : await ZooKeeperClient.ConnectAsync(
            nettyServer.ConnectString, new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(20) });
        await using var tlsZk = certificates is null ? null : await ZooKeeperClient.ConnectAsync(
            string.Create(CultureInfo.InvariantCulture, $"127.0.0.1:{securePort}"),
            new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(20), Tls = ZooKeeperTlsOptions.FromFiles(certificates.CaFile, null, null) });
        Console.WriteLine($"ZooKeeper client benchmark: one session to {connectString} ({(server is null ? "external server" : "local ZooKeeper 3.8, started for the run")}), "
            + $"N = {count}; {rounds} round(s), each running every scenario {repetitions} times (after one warm-up) with this client, then with the Java client; "
            + $"{Environment.ProcessorCount} cores, .NET {Environment.Version}, load average {LoadAverage()}");
        Console.WriteLine();

        var scenarios = Scenarios(zk, count);
        var tlsScenarios = tlsZk is null ? null : Scenarios(tlsZk, count);
        var nettyScenarios = nettyZk is null ? null : Scenarios(nettyZk, count);
        var ours = scenarios.Select(_ => new List<double>()).ToList();
        var overTls = scenarios.Select(_ => new List<double>()).ToList();
        var overNetty = scenarios.Select(_ => new List<double>()).ToList();
        var java = scenarios.Select(_ => new List<double>()).ToList();
        var progress = global::Partitioner.Cli.Output.Progress.Start("client bench", rounds * (scenarios.Length + 1));
        for (var round = 0; round < rounds; round++)
        {
            for (var i = 0; i < scenarios.Length; i++)
            {
                ours[i].AddRange(await Measure(zk, scenarios[i], repetitions, $"{round}-{i}"));
                if (tlsZk is not null && nettyZk is not null)
                {
                    overNetty[i].AddRange(await Measure(nettyZk, nettyScenarios![i], repetitions, $"netty-{round}-{i}"));
                    overTls[i].AddRange(await Measure(tlsZk, tlsScenarios![i], repetitions, $"tls-{round}-{i}"));
                }
                progress?.Report((round * (scenarios.Length + 1)) + i + 1, $"round {round + 1}, {scenarios[i].Name}");
            }

            progress?.Report((round * (scenarios.Length + 1)) + scenarios.Length, $"round {round + 1}, the Java client");

            // Alternating the two clients within each round spreads drifts in machine load over both.
            var javaRound = JavaSideBySide.Run(connectString, count, repetitions);
            for (var i = 0; i < javaRound.Count && i < java.Count; i++)
            {
                java[i].AddRange(javaRound[i].Timings);
            }
        }

        progress?.Dispose();
        Console.WriteLine($"{"client",-20} {"scenario",-58} {"ops",6} {"median ms",10} {"min ms",8} {"max ms",8} {"µs/op",8}");
        var oursResults = scenarios.Select((s, i) => Summarise(s.Name, s.Ops, ours[i])).ToList();
        oursResults.ForEach(r => Print("C# ZooKeeper.Client", r));
        var nettyResults = tlsZk is null ? [] : scenarios.Select((s, i) => Summarise(s.Name, s.Ops, overNetty[i])).ToList();
        var tlsResults = tlsZk is null ? [] : scenarios.Select((s, i) => Summarise(s.Name, s.Ops, overTls[i])).ToList();
        nettyResults.ForEach(r => Print("C#, Netty plaintext", r));
        tlsResults.ForEach(r => Print("C#, Netty TLS", r));
        var javaResults = java.All(t => t.Count > 0) ? scenarios.Select((s, i) => Summarise(s.Name, s.Ops, java[i])).ToList() : [];
        javaResults.ForEach(r => Print("Java client 3.8.0", r));
        PrintComparison(oursResults, javaResults);
        PrintTls(nettyResults, tlsResults);
        Console.WriteLine($"load average at the end: {LoadAverage()}");
        return 0;
    }

    internal sealed record Result(string Name, int Ops, double MedianMs, double MinMs, double MaxMs)
    {
        public double MicrosPerOp => MedianMs * 1000 / Ops;
    }

    private sealed record Scenario(string Name, int Ops, Func<string, Task> Prepare, Func<string, Task> Body);

    private static Scenario[] Scenarios(ZooKeeperClient zk, int count) =>
    [
        new("create, serial", count, _ => Task.CompletedTask, root => CreateSerial(zk, root, count)),
        new("get-children, serial", count, root => CreatePipelined(zk, root, 10), root => GetChildrenSerial(zk, root, count)),
        new("delete, serial", count, root => CreatePipelined(zk, root, count), root => DeleteSerial(zk, root, count)),
        new("create, pipelined", count, _ => Task.CompletedTask, root => CreatePipelined(zk, root, count)),
        new("get-children, pipelined", count, root => CreatePipelined(zk, root, 10), root => GetChildrenPipelined(zk, root, count)),
        new("delete, pipelined", count, root => CreatePipelined(zk, root, count), root => DeletePipelined(zk, root, count)),
        new($"{BatchedOps} eph-seq creates + {BatchedOps} get-children, single pipelined", 2 * BatchedOps, root => MakeLockParents(zk, root), root => MixedPipelined(zk, root)),
        new($"{BatchedOps} eph-seq creates + {BatchedOps} get-children, multi/multiRead x{BatchSize}", 2 * BatchedOps, root => MakeLockParents(zk, root), root => MixedBatched(zk, root)),
    ];

    /// <summary>Runs a scenario once to warm up, then <paramref name="repetitions"/> timed times, each under a fresh root.</summary>
    private static async Task<List<double>> Measure(ZooKeeperClient zk, Scenario scenario, int repetitions, string tag)
    {
        var timings = new List<double>();
        for (var rep = 0; rep < repetitions + 1; rep++)
        {
            var root = $"/bench-client-{Environment.ProcessId}-{tag}-{rep}";
            await zk.CreateAsync(root, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent, Acl.OpenUnsafe);
            await scenario.Prepare(root);
            var watch = Stopwatch.StartNew();
            await scenario.Body(root);
            watch.Stop();
            if (rep > 0)
            {
                timings.Add(watch.Elapsed.TotalMilliseconds);
            }

            await DeleteTree(zk, root);
        }

        return timings;
    }

    private static Result Summarise(string name, int ops, List<double> timings)
    {
        var sorted = timings.Order().ToList();
        return new Result(name, ops, sorted[sorted.Count / 2], sorted[0], sorted[^1]);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? File.ReadAllText("/proc/loadavg").Split(' ')[0] : "unknown";

    private static void Print(string client, Result r) =>
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{client,-20} {r.Name,-58} {r.Ops,6} {r.MedianMs,10:F1} {r.MinMs,8:F1} {r.MaxMs,8:F1} {r.MicrosPerOp,8:F1}"));

    private static void PrintComparison(List<Result> ours, List<Result> java)
    {
        if (java.Count != ours.Count)
        {
            Console.WriteLine("(no side-by-side comparison: the Java client did not run)");
            return;
        }

        Console.WriteLine();
        Console.WriteLine($"{"scenario (medians)",-58} {"C# µs/op",9} {"Java µs/op",11} {"C#/Java",8}");
        for (var i = 0; i < ours.Count; i++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{ours[i].Name,-58} {ours[i].MicrosPerOp,9:F1} {java[i].MicrosPerOp,11:F1} {ours[i].MedianMs / java[i].MedianMs,8:F2}"));
        }
    }

    private static void PrintTls(List<Result> plaintext, List<Result> tls)
    {
        if (tls.Count != plaintext.Count)
        {
            Console.WriteLine("(no TLS rows: an external server was given)");
            return;
        }

        Console.WriteLine();
        Console.WriteLine($"{"scenario (medians), this client, Netty server",-58} {"plain µs/op",11} {"TLS µs/op",10} {"TLS/plain",10}");
        for (var i = 0; i < plaintext.Count; i++)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{plaintext[i].Name,-58} {plaintext[i].MicrosPerOp,11:F1} {tls[i].MicrosPerOp,10:F1} {tls[i].MedianMs / plaintext[i].MedianMs,10:F2}"));
        }
    }

    private static async Task CreateSerial(ZooKeeperClient zk, string root, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await zk.CreateAsync($"{root}/n{i}", ReadOnlyMemory<byte>.Empty, CreateMode.Persistent, Acl.OpenUnsafe);
        }
    }

    private static Task CreatePipelined(ZooKeeperClient zk, string root, int count) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(i => zk.CreateAsync($"{root}/n{i}", ReadOnlyMemory<byte>.Empty, CreateMode.Persistent, Acl.OpenUnsafe)));

    private static async Task GetChildrenSerial(ZooKeeperClient zk, string root, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await zk.GetChildrenAsync(root);
        }
    }

    private static Task GetChildrenPipelined(ZooKeeperClient zk, string root, int count) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(_ => zk.GetChildrenAsync(root)));

    private static async Task DeleteSerial(ZooKeeperClient zk, string root, int count)
    {
        for (var i = 0; i < count; i++)
        {
            await zk.DeleteAsync($"{root}/n{i}");
        }
    }

    private static Task DeletePipelined(ZooKeeperClient zk, string root, int count) =>
        Task.WhenAll(Enumerable.Range(0, count).Select(i => zk.DeleteAsync($"{root}/n{i}")));

    /// <summary>The partitioner's lock round as single requests: one ephemeral-sequential create and one children read per item.</summary>
    private static async Task MixedPipelined(ZooKeeperClient zk, string root)
    {
        var lockParents = LockParents(root);
        var creates = lockParents.Select(p => zk.CreateAsync(p + "/c__lock__", ReadOnlyMemory<byte>.Empty, CreateMode.EphemeralSequential, Acl.OpenUnsafe)).ToList();
        var reads = lockParents.Select(p => zk.GetChildrenAsync(p)).ToList();
        await Task.WhenAll(creates);
        await Task.WhenAll(reads);
    }

    /// <summary>The same work in batches: multi for the creates, multiRead for the children reads, all batches in flight at once.</summary>
    private static async Task MixedBatched(ZooKeeperClient zk, string root)
    {
        var lockParents = LockParents(root);
        var batches = lockParents.Chunk(BatchSize).ToList();
        var creates = batches.Select(b => zk.MultiAsync(b.Select(p => Op.Create(p + "/c__lock__", ReadOnlyMemory<byte>.Empty, CreateMode.EphemeralSequential, Acl.OpenUnsafe)))).ToList();
        var reads = batches.Select(b => zk.MultiReadAsync(b.Select(ReadOp.GetChildren))).ToList();
        await Task.WhenAll(creates);
        await Task.WhenAll(reads);
    }

    /// <summary>Creates the per-item lock parents before the clock starts, so both mixed scenarios time the same requests.</summary>
    private static async Task MakeLockParents(ZooKeeperClient zk, string root)
    {
        foreach (var batch in LockParents(root).Chunk(BatchSize))
        {
            await zk.MultiAsync(batch.Select(p => Op.Create(p, ReadOnlyMemory<byte>.Empty, CreateMode.Persistent, Acl.OpenUnsafe)));
        }
    }

    private static string[] LockParents(string root) => [.. Enumerable.Range(0, BatchedOps).Select(i => $"{root}/item{i}")];

    private static async Task DeleteTree(ZooKeeperClient zk, string path)
    {
        var children = await zk.GetChildrenAsync(path);
        await Task.WhenAll(children.Select(c => DeleteTree(zk, $"{path}/{c}")));
        await zk.DeleteAsync(path);
    }
}
