using System.Globalization;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>Prints the hand-off benchmark's figures as Markdown, ready for the README: medians per column, and the targets.</summary>
internal static class HandOffTable
{
    /// <summary>Issue 11's target: cooperative item-seconds lost at least this many times below eager's.</summary>
    private const double LostRatioTarget = 10;

    public static void Print(TextWriter output, HandOffSize size, IReadOnlyDictionary<string, List<HandOffRun>> runs, string description)
    {
        string join = $"{size.Members} members share {Format.Count(size.Items)} items, a {Ordinal(size.Members + 1)} joins";
        string restart = $"then a rolling restart of all {size.Members + 1}";
        output.WriteLine();
        output.WriteLine($"Hand-off: eager vs cooperative vs kazoo; {description}");
        output.WriteLine();
        output.WriteLine("| scenario | implementation | items moved (moves) | items interrupted (interruptions) | item-seconds lost | settled after |");
        output.WriteLine("|---|---|---|---|---|---|");
        foreach (var (scenario, pick) in new (string, Func<HandOffRun, HandOffFigures>)[] { (join, r => r.Join), (restart, r => r.Restart) })
        {
            foreach (var (name, list) in runs)
            {
                var figures = list.Select(pick).ToList();
                output.WriteLine($"| {scenario} | {name} | {Count(figures, f => f.ItemsMoved)} ({Count(figures, f => f.Moves)}) "
                    + $"| {Count(figures, f => f.ItemsInterrupted)} ({Count(figures, f => f.Interruptions)}) "
                    + $"| {Median.Of([.. figures.Select(f => f.ItemSecondsLost)]).ToString("0.0", CultureInfo.InvariantCulture)} "
                    + $"| {Format.Duration(Median.Of([.. figures.Select(f => f.SettledSeconds)]))} |");
            }
        }

        output.WriteLine();
        output.WriteLine("Moved: an item's work started in a member other than the one that worked on it last. Interrupted: an item's work "
            + "stopped and started again, in any member. Item-seconds lost: over the items, the time no member was working on the item, "
            + "from the fault's start (creating the joiner; the first leave) to the party found settled. Settled: every member Acquired and "
            + "the works running exactly the shares of the party's partition function; the time is to the last work start or stop. "
            + "The rolling restart: each member in turn finishes (its works stop, its nodes go, its session closes) and comes back "
            + "on a new session, the party settling after each leave and after each return before the next step. Work instants are "
            + "taken in the work callbacks: C# members on this process's monotonic clock (eager: RunAsync, round-robin; cooperative: "
            + "RunItemsAsync, sticky), kazoo's in kazoo_bench.py on Python's (its consumer works on the whole set from entering "
            + "ACQUIRED to leaving it, or to finish()).");
        foreach (var (scenario, pick) in new (string, Func<HandOffRun, HandOffFigures>)[] { ("join", r => r.Join), ("rolling restart", r => r.Restart) })
        {
            var cooperative = runs["cooperative"].Select(pick).ToList();
            bool equal = cooperative.All(f => f.ItemsInterrupted == f.ItemsMoved);
            double ratio = Median.Of([.. runs["eager"].Select(pick).Select(f => f.ItemSecondsLost)])
                / Median.Of([.. cooperative.Select(f => f.ItemSecondsLost)]);
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"Target, {scenario}: cooperative interrupted items = moved items in every run: {Verdict(equal)}; "
                + $"item-seconds lost at least {LostRatioTarget:0}x below eager's: {ratio:0.0}x, {Verdict(ratio >= LostRatioTarget)}."));
        }
    }

    private static string Count(List<HandOffFigures> figures, Func<HandOffFigures, int> pick) =>
        Median.Of([.. figures.Select(f => (double)pick(f))]).ToString("#,0.#", CultureInfo.InvariantCulture);

    private static string Ordinal(int n) => n + (n % 10) switch { 1 when n % 100 != 11 => "st", 2 when n % 100 != 12 => "nd", 3 when n % 100 != 13 => "rd", _ => "th" };

    private static string Verdict(bool met) => met ? "met" : "MISSED";
}
