using System.Diagnostics;
using System.Globalization;
using Partitioner.Core;
using Partitioner.Integration.Infrastructure;
using ZooKeeper.Client;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>
/// <c>rebalance [--short] [--runs N] [--time-boundary-ms N] [--connect HOST:PORT]</c>: what a join and a rolling restart
/// cost the work, eager vs cooperative vs kazoo, side by side on one real ZooKeeper server in one run (issue 11 item 7).
/// Prints progress on stderr and a Markdown table of medians on stdout; it asserts nothing about time.
/// </summary>
internal static class HandOffMode
{
    private const string Usage = "usage: rebalance [--short] [--runs N] [--time-boundary-ms N] [--connect HOST:PORT] [--kazoo-script PATH]";

    /// <summary>The same for every implementation; kazoo's default is 30 s, which would make a run last hours.</summary>
    private static readonly TimeSpan FullTimeBoundary = TimeSpan.FromSeconds(2);

    /// <summary>CI's: a short wait keeps the four restarts of three implementations well under a minute.</summary>
    private static readonly TimeSpan ShortTimeBoundary = TimeSpan.FromMilliseconds(500);

    private static readonly HandOffSize FullSize = new(BenchMode.RebalanceMembers, BenchMode.RebalanceItems);
    private static readonly HandOffSize ShortSize = new(4, 200);

    private static readonly string[] Implementations = ["eager", "cooperative", "kazoo"];

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

        using var server = settings.Connect is null
            ? ZooKeeperServerProcess.StartNew(new ZooKeeperServerSettings { TickTimeMs = 2000, JavaOptions = "-Xmx1g" })
            : null;
        string connect = settings.Connect ?? server!.ConnectString;
        await using var admin = await ZooKeeperClient.ConnectAsync(connect,
            new ZooKeeperClientOptions { SessionTimeout = TimeSpan.FromSeconds(40), FrameBytesMax = 16 << 20 });
        var kazoo = new KazooRunner(script, connect, settings.TimeBoundary);
        var context = new BenchContext(BenchMode.Short, connect, settings.TimeBoundary, kazoo, admin, null);
        var bench = new HandOffBench(context, settings.Size);
        var runs = Implementations.ToDictionary(name => name, _ => new List<HandOffRun>(), StringComparer.Ordinal);
        long started = Stopwatch.GetTimestamp();
        for (int run = 1; run <= settings.Runs; run++)
        {
            // The three in turn within each run, so that a change in the machine's load falls on all of them alike.
            runs["eager"].Add(await bench.RunAsync(RebalanceMode.Eager));
            runs["cooperative"].Add(await bench.RunAsync(RebalanceMode.Cooperative));
            runs["kazoo"].Add(await RunKazooAsync(context, settings.Size));
            context.Progress($"run {run} of {settings.Runs} done");

            // The table after every run, of the runs so far: a run cut short still leaves the medians of those done.
            string description = string.Create(CultureInfo.InvariantCulture,
                $"{run} run(s) of each{(run < settings.Runs ? $" (of {settings.Runs} asked)" : "")}, medians; time boundary {settings.TimeBoundary.TotalSeconds:0.###} s for all; "
                + $"server: {(server is null ? settings.Connect : "ZooKeeper standalone started by the benchmark, tickTime 2000")}; "
                + $"{Environment.ProcessorCount} cores, load average at the end {LoadAverage()}; .NET {Environment.Version}; "
                + $"measured in {Stopwatch.GetElapsedTime(started).TotalSeconds:0} s");
            HandOffTable.Print(Console.Out, settings.Size, runs, description);
            Console.Out.Flush();
        }

        return 0;
    }

    private static async Task<HandOffRun> RunKazooAsync(BenchContext context, HandOffSize size)
    {
        var ledger = new WorkLedger();
        var (phases, path) = await context.Kazoo.HandOffAsync(size.Members, size.Items, ledger);
        await context.RemoveTreeAsync(path);
        string[] items = MemberHarness.Items(size.Items);
        var join = ledger.Measure(items, phases["join"].From, phases["join"].To);
        var restart = ledger.Measure(items, phases["restart"].From, phases["restart"].To);
        context.Progress($"kazoo join: {HandOffBench.Describe(join)}");
        context.Progress($"kazoo rolling restart: {HandOffBench.Describe(restart)}");
        return new HandOffRun(join, restart);
    }

    private static string LoadAverage() =>
        File.Exists("/proc/loadavg") ? string.Join(' ', File.ReadAllText("/proc/loadavg").Split(' ').Take(3)) : "unknown";

    private sealed record Settings(HandOffSize Size, TimeSpan TimeBoundary, int Runs, string? Connect, string? KazooScript, bool TimeBoundaryGiven = false);

    private static bool TryParse(string[] args, out Settings settings, out string? error)
    {
        settings = new Settings(FullSize, FullTimeBoundary, 3, null, null);
        error = null;
        bool isShort = false;
        for (int i = 0; i < args.Length; i++)
        {
            string? value = i + 1 < args.Length ? args[i + 1] : null;
            switch (args[i])
            {
                case "--short":
                    isShort = true;
                    break;
                case "--runs" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int runs) && runs > 0:
                    settings = settings with { Runs = runs };
                    i++;
                    break;
                case "--time-boundary-ms" when int.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out int ms) && ms > 0:
                    settings = settings with { TimeBoundary = TimeSpan.FromMilliseconds(ms), TimeBoundaryGiven = true };
                    i++;
                    break;
                case "--connect" when value is not null:
                    settings = settings with { Connect = value };
                    i++;
                    break;
                case "--kazoo-script" when value is not null:
                    settings = settings with { KazooScript = value };
                    i++;
                    break;
                default:
                    error = $"Unknown or incomplete option '{args[i]}'{(value is null ? "" : $" (next: '{value}')")}.";
                    return false;
            }
        }

        if (isShort)
        {
            settings = settings with
            {
                Size = ShortSize,
                Runs = args.Contains("--runs") ? settings.Runs : 1,
                TimeBoundary = settings.TimeBoundaryGiven ? settings.TimeBoundary : ShortTimeBoundary,
            };
        }

        return true;
    }
}
