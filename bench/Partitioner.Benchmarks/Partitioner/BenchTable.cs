using System.Globalization;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>Everything one run measured.</summary>
/// <param name="CoreOnly">Per size, Core's CPU alone from the start to Acquired, driven by a bare loop over the same port.</param>
/// <param name="Instant">Per acquisition size (and the memory case's), Core's and the shell's time over the instant in-memory port.</param>
internal sealed record BenchReport(
    BenchMode Mode, List<AcquireFigures> Acquire, RebalanceFigures Rebalance, MemoryFigures Memory, List<(int Items, List<double> Seconds)> Instant,
    List<(int Items, List<double> Seconds)> CoreOnly);

/// <summary>Prints a run's figures as Markdown, ready for the README: medians, run counts, ratios, targets.</summary>
internal static class BenchTable
{
    private const double AcquireTargetSeconds = 0.25;
    private const double AcquireTargetRatio = 100;
    private const double RebalanceTargetSeconds = 0.05;

    public static void Print(TextWriter output, BenchReport report, string description)
    {
        output.WriteLine();
        output.WriteLine($"SetPartitioner vs kazoo; {description}");
        output.WriteLine();
        PrintTimes(output, report);
        output.WriteLine();
        PrintOperations(output, report);
        output.WriteLine();
        PrintCriticalPath(output, report.Rebalance);
        output.WriteLine();
        PrintMemory(output, report.Memory);
    }

    private static void PrintTimes(TextWriter output, BenchReport report)
    {
        output.WriteLine("| case | ours, median | kazoo, median | kazoo / ours | target |");
        output.WriteLine("|---|---|---|---|---|");
        foreach (var size in report.Acquire)
        {
            double ours = Median.Of(size.Ours);
            double kazoo = Median.Of(size.Kazoo);
            string ratioVerdict = double.IsNaN(kazoo) ? "kazoo not run" : Verdict(kazoo / ours >= AcquireTargetRatio);
            string target = size.Items == 5_000
                ? $"< 250 ms: {Verdict(ours < AcquireTargetSeconds)}; >= 100x: {ratioVerdict}"
                : "";
            output.WriteLine($"| one member acquires {Format.Count(size.Items)} items | {Cell(ours, size.Ours.Count)} | {Cell(kazoo, size.Kazoo.Count)} | {Format.Ratio(kazoo, ours)} | {target} |");
        }

        var rebalance = report.Rebalance;
        double oursRebalance = Median.Of(rebalance.Ours);
        double kazooRebalance = Median.Of(rebalance.Kazoo);
        output.WriteLine(
            $"| {BenchMode.RebalanceMembers} members share {Format.Count(BenchMode.RebalanceItems)} items, one more joins | {Cell(oursRebalance, rebalance.Ours.Count)} "
            + $"| {Cell(kazooRebalance, rebalance.Kazoo.Count)} | {Format.Ratio(kazooRebalance, oursRebalance)} | < 50 ms: {Verdict(oursRebalance < RebalanceTargetSeconds)} |");
        output.WriteLine();
        output.WriteLine("Acquire: from the start of allocation (our first requests of the round right after the stability timer; kazoo's _allocate_transition) "
            + "to the change to Acquired. Rebalance: from creating the joiner (client already connected) until all nine are Acquired, minus the time boundary.");
        output.WriteLine("Ours from creating the member to Acquired, minus the time boundary (setup, party read and timer included): "
            + string.Join(", ", report.Acquire.Select(s => $"{Format.Count(s.Items)} items {Format.Duration(Median.Of(s.OursWhole))}")) + ".");
        output.WriteLine("Core and the shell alone, this process's CPU from creating the member to Acquired over an in-memory port that answers at once (no wire, no server): "
            + string.Join(", ", report.Instant.Select(i => $"{Format.Count(i.Items)} items {Format.Duration(Median.Of(i.Seconds))}")) + ".");
        output.WriteLine("Core alone, CPU from the start to Acquired, driven by a bare loop over the same port: "
            + string.Join(", ", report.CoreOnly.Select(i => $"{Format.Count(i.Items)} items {Format.Duration(Median.Of(i.Seconds))}")) + ".");
        output.WriteLine("CPU from creating the member to Acquired, this process (Core, shell and client) / the ZooKeeper server: "
            + string.Join(", ", report.Acquire.Select(s => $"{Format.Count(s.Items)} items {Format.Duration(Median.Of(s.OursCpu))} / {Format.Duration(Median.Of(s.ServerCpu))}"))
            + "; on 2 cores the rest of the wall time is waiting for a core (other work on the machine) or for the disk.");
    }

    private static void PrintOperations(TextWriter output, BenchReport report)
    {
        output.WriteLine("| ZooKeeper work (ours) | requests (round trips) | operations | of which multis | multiReads |");
        output.WriteLine("|---|---|---|---|---|");
        foreach (var size in report.Acquire)
        {
            var c = size.Counts;
            output.WriteLine($"| allocation of {Format.Count(size.Items)} items | {Format.Count(c.Requests)} | {Format.Count(c.Operations)} | {Format.Count(c.Multis)} | {Format.Count(c.MultiReads)} |");
        }

        var m = report.Memory.Counts;
        output.WriteLine($"| allocation of {Format.Count(report.Memory.Items)} items | {Format.Count(m.Requests)} | {Format.Count(m.Operations)} | {Format.Count(m.Multis)} | {Format.Count(m.MultiReads)} |");
        var r = report.Rebalance;
        output.WriteLine($"| rebalance, all {BenchMode.RebalanceMembers + 1} members, join to all Acquired | {Format.Count(r.Requests)} | {Format.Count(r.Operations)} | | |");
    }

    /// <summary>Where the rebalance's time goes: the slowest member's steps, as medians over the runs.</summary>
    private static void PrintCriticalPath(TextWriter output, RebalanceFigures rebalance)
    {
        string[] steps = ["sees the join (Release)", "locks deleted (Allocating)", "party read, timer started", "timer fired, round's first requests sent", "first reply back", "Acquired"];
        output.WriteLine("| rebalance, the last member to be Acquired | " + string.Join(" | ", steps) + " |");
        output.WriteLine("|---" + string.Concat(Enumerable.Repeat("|---", steps.Length)) + "|");
        var medians = Enumerable.Range(0, steps.Length)
            .Select(i => Median.Of([.. rebalance.CriticalPath.Select(path => path[i]).Where(t => !double.IsNaN(t))]));
        output.WriteLine("| median time since the join | " + string.Join(" | ", medians.Select(Format.Duration)) + " |");
    }

    private static void PrintMemory(TextWriter output, MemoryFigures memory)
    {
        double perItem = (double)memory.Bytes / memory.Items;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"Memory: one member holding {Format.Count(memory.Items)} items on the real server: {Format.Megabytes(memory.Bytes)} "
            + $"({perItem:0} bytes per item; managed heap after full collections, before creating the member and while it holds every lock; "
            + $"the member and its client, not the caller's item list). It acquired them in {Format.Duration(memory.AcquireSeconds)}."));
    }

    private static string Cell(double median, int runs) =>
        runs == 0 ? "not run in this mode" : $"{Format.Duration(median)} (n={runs})";

    private static string Verdict(bool met) => met ? "met" : "MISSED";
}
