using System.Diagnostics;
using System.Globalization;
using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>
/// <c>partitioner [--short] [--connect HOST:PORT]</c>: SetPartitioner on one real ZooKeeper server, side by
/// side with kazoo's on the same server in the same run. Prints progress on stderr and a Markdown table of
/// medians and ratios on stdout. It asserts nothing about time: the figures are for reading.
/// </summary>
internal static class PartitionerBench
{
    private const string Usage = "usage: partitioner [--short] [--connect HOST:PORT] [--kazoo-script PATH] [--time-boundary-ms N] [--trace | --memory-only | --scale | --batch-sizes N,N,... | --in-memory N,N,...]";

    /// <summary>A server as one would run it: the full JIT and room for 100,000 items' nodes (the tests' launcher default is C1 and 128 MB).</summary>
    private const string ServerJavaOptions = "-Xmx1g";

    /// <summary>kazoo_bench.py's default, so both sides wait the same.</summary>
    private static readonly TimeSpan DefaultTimeBoundary = TimeSpan.FromMilliseconds(100);

    public static async Task<int> RunAsync(string[] args)
    {
        if (!TryParse(args, out var settings, out string? error))
        {
            Console.Error.WriteLine(error);
            Console.Error.WriteLine(Usage);
            return 2;
        }

        string? script = settings.KazooScript ?? KazooRunner.FindScript();
        if (script is null || !File.Exists(script))
        {
            Console.Error.WriteLine("bench/kazoo/kazoo_bench.py was not found; run from the repository or give --kazoo-script.");
            return 2;
        }

        if (settings.InMemorySizes is { } inMemory)
        {
            // Core and the shell over the instant port only: no server, no kazoo, a few seconds per size.
            var local = new BenchContext(settings.Mode, "", settings.TimeBoundary, new KazooRunner(script, "", settings.TimeBoundary), null!, null);
            foreach (int items in inMemory)
            {
                await new InstantBench(local).RunAsync(items);
                new CoreOnlyBench(local).Run(items);
            }

            Console.Error.WriteLine($"mode: {settings.Mode.Name}, {settings.Mode.OurRepetitions} timed runs after a warm-up; {Environment.ProcessorCount} cores, load average at the end {LoadAverage()}; .NET {Environment.Version}");
            return 0;
        }

        using var server = settings.Connect is null
            ? ZooKeeperServerProcess.StartNew(new ZooKeeperServerSettings { TickTimeMs = 2000, JavaOptions = ServerJavaOptions })
            : null;
        string connect = settings.Connect ?? server!.ConnectString;
        // The admin client removes each case's tree. Right after a 100,000-item member closes, the server is busy
        // deleting its ephemeral nodes and may answer nothing for longer than a default session's read timeout
        // (seen on a loaded machine), and a lock folder's listing is larger than the default frame: a long session
        // and a large frame keep the clean-up from failing the benchmark.
        await using var admin = await ZooKeeperClient.ConnectAsync(connect,
            new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(40), FrameBytesMax = 16 << 20 });
        var context = new BenchContext(settings.Mode, connect, settings.TimeBoundary,
            new KazooRunner(script, connect, settings.TimeBoundary), admin, server is null ? null : ServerCpu.Find(server.DataDir));
        if (await RunStudyAsync(settings, context))
        {
            return 0;
        }

        long started = Stopwatch.GetTimestamp();
        var report = await MeasureAsync(context);
        BenchTable.Print(Console.Out, report, Describe(settings, server, Stopwatch.GetElapsedTime(started)));
        return 0;
    }

    /// <summary>Runs a profiling study instead of the benchmark when one was asked for; false when none was.</summary>
    private static async Task<bool> RunStudyAsync(BenchSettings settings, BenchContext context)
    {
        int largest = context.Mode.AcquireSizes.Max();
        if (settings.Trace)
        {
            new CoreOnlyBench(context).Run(largest);
            await new InstantBench(context).RunAsync(largest);
            await new InstantBench(context).TraceAsync(largest);
            await new AcquireBench(context).TraceAsync(largest);
            await new RebalanceBench(context).TraceAsync();
        }
        else if (settings.BatchSizes is { } batchSizes)
        {
            await new AcquireBench(context).CompareBatchSizesAsync(batchSizes);
        }
        else if (settings.Scale)
        {
            // The memory case's acquisition again and again on one server: the first run warms the server's JIT up at
            // this size, and the timed ones after it show what the end-to-end time is made of (CPU here and there, and
            // when the answers came).
            // After each, the floor: the bare client sending the same creates on the same server (see FloorBench).
            var memory = new MemoryBench(context);
            var floor = new FloorBench(context);
            var ours = new List<double>();
            var bare = new List<double>();
            for (int run = 0; run <= ScaleRuns; run++)
            {
                string label = run == 0 ? "warm-up" : $"run {run}";
                var figures = await memory.RunAsync(context.Mode.MemoryItems, label);
                var (floorSeconds, _, _) = await floor.RunAsync(context.Mode.MemoryItems, label);
                if (run > 0)
                {
                    ours.Add(figures.AcquireSeconds);
                    bare.Add(floorSeconds);
                }
            }

            // ZooKeeper's own Java client doing the floor's work on the same server: its first repetition warms its JIT.
            if (global::Partitioner.Benchmarks.Client.JavaSideBySide.RunFloor(context.ConnectString, context.Mode.MemoryItems, ScaleRuns) is { } java)
            {
                context.Progress($"floor memory {context.Mode.MemoryItems}, ZooKeeper's Java client: the same creates answered in {string.Join(", ", java.Select(ms => Format.Duration(ms / 1000)))} (median {Format.Duration(Median.Of(java) / 1000)})");
            }

            context.Progress($"scale {context.Mode.MemoryItems}: ours acquired in {Format.Duration(Median.Of(ours))} (median), the bare client's creates answered in {Format.Duration(Median.Of(bare))} (median); ours / floor {Median.Of(ours) / Median.Of(bare):0.00}");

            context.Progress($"mode: {context.Mode.Name}, {ScaleRuns} runs after a warm-up; {Environment.ProcessorCount} cores, load average at the end {LoadAverage()}; .NET {Environment.Version}");
        }
        else if (settings.MemoryOnly)
        {
            await new MemoryBench(context).RunAsync(context.Mode.MemoryItems);
            foreach (int items in context.Mode.InstantSizes)
            {
                await new InstantBench(context).RunAsync(items);
                new CoreOnlyBench(context).Run(items);
            }

            context.Progress($"mode: {context.Mode.Name}, {context.Mode.OurRepetitions} timed runs after a warm-up; {Environment.ProcessorCount} cores, load average at the end {LoadAverage()}; .NET {Environment.Version}");
        }
        else
        {
            return false;
        }

        return true;
    }

    private static async Task<BenchReport> MeasureAsync(BenchContext context)
    {
        var acquire = new AcquireBench(context);
        var steps = context.Mode.AcquireSizes.Count() + 3 + context.Mode.InstantSizes.Count();
        var done = 0;
        var progress = global::Partitioner.Cli.Output.Progress.Start("partitioner bench", steps);
        await acquire.WarmUpServerAsync();
        progress?.Report(++done, "server warmed up");
        var sizes = new List<AcquireFigures>();
        foreach (int items in context.Mode.AcquireSizes)
        {
            sizes.Add(await acquire.RunAsync(items, withKazoo: context.Mode.KazooAcquireSizes.Contains(items)));
            progress?.Report(++done, $"acquire {items}");
        }

        var rebalance = await new RebalanceBench(context).RunAsync();
        progress?.Report(++done, "rebalance");
        var memory = await new MemoryBench(context).RunAsync(context.Mode.MemoryItems);
        progress?.Report(++done, "memory");
        var instant = new List<(int, List<double>)>();
        var core = new List<(int, List<double>)>();
        foreach (int items in context.Mode.InstantSizes)
        {
            instant.Add((items, await new InstantBench(context).RunAsync(items)));
            core.Add((items, new CoreOnlyBench(context).Run(items)));
            progress?.Report(++done, $"in-memory {items}");
        }

        progress?.Dispose();
        return new BenchReport(context.Mode, sizes, rebalance, memory, instant, core);
    }

    private static string Describe(BenchSettings settings, ZooKeeperServerProcess? server, TimeSpan took) =>
        string.Create(CultureInfo.InvariantCulture,
            $"mode: {settings.Mode.Name} ({settings.Mode.OurRepetitions} timed runs of ours after untimed warm-up runs, {settings.Mode.KazooRepetitions} of kazoo per case); "
            + $"server: {(server is null ? settings.Connect : $"ZooKeeper standalone started by the benchmark on {server.ConnectString}, tickTime 2000, JVM {ServerJavaOptions}")}; "
            + $"time boundary {settings.TimeBoundary.TotalMilliseconds} ms for both; {Environment.ProcessorCount} cores, load average at the end {LoadAverage()}; .NET {Environment.Version}; measured in {took.TotalSeconds:0} s");

    /// <summary>The 1, 5 and 15 minute load averages: other work on the machine slows both sides, the server most.</summary>
    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    /// <summary>Timed runs of <c>--scale</c> after its warm-up: each takes seconds of the server's CPU at 100,000 items.</summary>
    private const int ScaleRuns = 3;

    private sealed record BenchSettings(BenchMode Mode, string? Connect, string? KazooScript, TimeSpan TimeBoundary, bool Trace = false, bool MemoryOnly = false, int[]? BatchSizes = null, int[]? InMemorySizes = null, bool Scale = false);

    private static bool TryParse(string[] args, out BenchSettings settings, out string? error)
    {
        settings = new BenchSettings(BenchMode.Full, null, null, DefaultTimeBoundary);
        error = null;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--short":
                    settings = settings with { Mode = BenchMode.Short };
                    break;
                case "--trace":
                    settings = settings with { Trace = true };
                    break;
                case "--batch-sizes" when value is not null && ParseSizes(value) is { } sizes:
                    settings = settings with { BatchSizes = sizes };
                    i++;
                    break;
                case "--in-memory" when value is not null && ParseSizes(value) is { } inMemorySizes:
                    settings = settings with { InMemorySizes = inMemorySizes };
                    i++;
                    break;
                case "--memory-only":
                    settings = settings with { MemoryOnly = true };
                    break;
                case "--scale":
                    settings = settings with { Scale = true };
                    break;
                case "--connect" when value is not null:
                    settings = settings with { Connect = value };
                    i++;
                    break;
                case "--kazoo-script" when value is not null:
                    settings = settings with { KazooScript = value };
                    i++;
                    break;
                case "--time-boundary-ms" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int ms) && ms > 0:
                    settings = settings with { TimeBoundary = TimeSpan.FromMilliseconds(ms) };
                    i++;
                    break;
                default:
                    error = $"Unknown or incomplete option '{args[i]}'{(value is null ? "" : $" (next: '{value}')")}.";
                    return false;
            }
        }

        return true;
    }

    private static int[]? ParseSizes(string text)
    {
        var sizes = text.Split(',').Select(part => int.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n > 0 ? n : 0).ToArray();
        return sizes.All(n => n > 0) ? sizes : null;
    }
}
