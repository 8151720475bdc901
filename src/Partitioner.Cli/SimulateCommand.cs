using System.CommandLine;
using System.Diagnostics;
using System.Globalization;
using Partitioner.Cli.Input;
using Partitioner.Cli.Output;
using Partitioner.Simulation;
using Partitioner.Simulation.Running;

namespace Partitioner.Cli;

/// <summary>
/// <c>partitioner simulate</c>: runs real SetPartitioners against the in-memory ZooKeeper under faults,
/// prints the timeline and the checks, and exits non-zero on a violation. The same seed prints the same
/// output, except the one line of wall-clock speed, which says so.
/// </summary>
internal static class SimulateCommand
{
    /// <summary>Exit code when the second run of the same scenario gave another trace (lost determinism).</summary>
    public const int NondeterminismExitCode = 5;

    /// <summary>With <c>--determinism sample</c>, the seeds run twice are those divisible by this.</summary>
    public const ulong DeterminismSampleEvery = 10;

    public static Command Create()
    {
        var members = new Option<int>("--members") { Description = "Members at the start (1-100).", DefaultValueFactory = _ => 5 };
        var kazooMembers = new Option<int?>("--kazoo-members")
        {
            Description = "Kazoo-like members besides --members (models of kazoo's SetPartitioner; 0-99, at most 100 members in all); drawn from the seed when not given.",
        };
        var rebalance = new Option<string?>("--rebalance")
        {
            Description = "How the C# members rebalance: 'eager' (kazoo's, the default of the library), 'cooperative' (incremental hand-off with the sticky function) "
                + "or 'mixed' (both on one path, which the members must detect); drawn from the seed when not given.",
        };
        var items = new Option<int>("--items") { Description = "Items to divide: \"0\", \"1\", ...", DefaultValueFactory = _ => 20 };
        var duration = new Option<double>("--duration") { Description = "Seconds of simulated time in which faults may start; a liveness phase follows.", DefaultValueFactory = _ => 60.0 };
        var faultRate = new Option<double>("--fault-rate") { Description = "Mean faults per simulated second of the fault phase.", DefaultValueFactory = _ => 0.2 };
        var seed = new Option<ulong?>("--seed") { Description = "The seed of every random draw; random (and printed) when not given." };
        var logDir = new Option<string?>("--log-dir") { Description = "Write every member's event log here (always written on a failure, by default to partitioner-sim-logs/seed-N)." };
        var scenario = new Option<string?>("--scenario") { Description = "Run this exact scenario spec (as printed by a failing property test) instead of drawing one." };
        var runs = new Option<int>("--runs")
        {
            Description = "Run this many seeds (seed, seed+1, ...), one line each in seed order, stopping at the first failure with its full report. "
                + "--members, --items and --fault-rate, when not given, are drawn per seed from the seed (with --runs 1 too, so that one seed of a soak runs alone).",
            DefaultValueFactory = _ => 1,
        };
        var parallel = new Option<int>("--parallel") { Description = "Worker threads that share out the seeds of --runs (each run stays deterministic).", DefaultValueFactory = _ => 1 };
        var determinism = new Option<string>("--determinism")
        {
            Description = "With --runs: 'every' runs each seed twice and compares the trace hashes; 'sample' does so only for seeds "
                + $"divisible by {DeterminismSampleEvery} and runs the others once, with every other check. A single run is always checked.",
            DefaultValueFactory = _ => "every",
        };
        var command = new Command("simulate", "Run a simulated party under faults and check single owner, lock agreement, liveness and determinism.")
        {
            members, kazooMembers, items, duration, faultRate, seed, logDir, scenario, runs, parallel, determinism, rebalance,
        };
        command.SetAction(parse =>
        {
            var settings = new Settings(
                Numbers.InRange(parse.GetValue(members), "--members", 1, Scenario.MembersMax),
                Numbers.InRange(parse.GetValue(items), "--items", 0, Scenario.ItemsMax),
                Numbers.Seconds(parse.GetValue(duration), "--duration", positive: true).TotalSeconds,
                NonNegative(parse.GetValue(faultRate), "--fault-rate"),
                parse.GetValue(logDir),
                parse.GetValue(kazooMembers) is { } kazoo ? Numbers.InRange(kazoo, "--kazoo-members", 0, Scenario.MembersMax - 1) : null,
                parse.GetValue(rebalance) is { } mode ? RebalanceOf(mode) : null);
            var first = parse.GetValue(seed) ?? (ulong)Random.Shared.NextInt64(1, long.MaxValue / 2);
            var spec = parse.GetValue(scenario);
            int count = Numbers.InRange(parse.GetValue(runs), "--runs", 1, 10_000_000);
            int workers = Numbers.InRange(parse.GetValue(parallel), "--parallel", 1, 256);
            bool sampled = parse.GetValue(determinism) switch
            {
                "every" => false,
                "sample" => true,
                var other => throw new BadInputException($"--determinism '{other}' is not 'every' or 'sample'"),
            };
            // An explicit --runs, even 1, draws the party per seed as a soak does, so that a soak's seed reruns alone.
            if (spec is not null || (count <= 1 && !Given(parse, runs)))
            {
                return Run(spec, first, settings, quiet: false);
            }

            var draw = new Drawn(Given(parse, members), Given(parse, items), Given(parse, faultRate));
            return RunMany(first, count, workers, seed => draw.For(seed, settings), sampled);
        });
        return command;
    }

    private static bool Given(ParseResult parse, Option option) => parse.GetResult(option) is { Implicit: false };

    /// <summary>Which of the party's knobs the user gave; the others are drawn per seed.</summary>
    private readonly record struct Drawn(bool MembersGiven, bool ItemsGiven, bool FaultRateGiven)
    {
        public Settings For(ulong seed, Settings given)
        {
            var (members, items, faultRate) = ScenarioGenerator.DrawParty(seed);
            // A drawn party leaves room for the kazoo members asked for: the two together may not pass the
            // simulator's limit, and a soak must not end as bad input at a seed that happened to draw a large party.
            int drawnMembersMax = Scenario.MembersMax - (given.KazooMembers ?? 0);
            return given with
            {
                Members = MembersGiven ? given.Members : Math.Min(members, drawnMembersMax),
                Items = ItemsGiven ? given.Items : items,
                FaultRate = FaultRateGiven ? given.FaultRate : faultRate,
            };
        }
    }

    private static PartyRebalance RebalanceOf(string text) => text switch
    {
        "eager" => PartyRebalance.Eager,
        "cooperative" => PartyRebalance.Cooperative,
        "mixed" => PartyRebalance.Mixed,
        _ => throw new BadInputException($"--rebalance '{text}' is not 'eager', 'cooperative' or 'mixed'"),
    };

    private static double NonNegative(double value, string option) =>
        double.IsFinite(value) && value >= 0
            ? value
            : throw new BadInputException(string.Create(CultureInfo.InvariantCulture, $"{option} {value} is not a number zero or more"));

    /// <summary>
    /// Runs consecutive seeds on <paramref name="workers"/> threads, each taking the next seed not yet taken; a
    /// run is a pure function of its seed, so the threads change only the wall time. Lines are printed in seed
    /// order as soon as every lower seed is done. At the first failing seed no new seeds are started, the lines
    /// below it are printed, and it is run again with its full report (twice, whatever <paramref name="sampled"/> says).
    /// With <paramref name="sampled"/>, only seeds divisible by <see cref="DeterminismSampleEvery"/> are run twice.
    /// </summary>
    private static int RunMany(ulong first, int count, int workers, Func<ulong, Settings> settingsFor, bool sampled)
    {
        var wall = Stopwatch.StartNew();
        var progress = Progress.Start("simulate", count);
        var done = new (int ExitCode, string Lines)?[count];
        var gate = new object();
        int next = 0, printed = 0;
        int failedAt = int.MaxValue;
        int twice = 0;
        Exception? crash = null;

        void Work()
        {
            try
            {
                while (true)
                {
                    int index;
                    lock (gate)
                    {
                        if (next >= count || next > failedAt)
                        {
                            return;
                        }

                        index = next++;
                    }

                    ulong seed = first + (ulong)index;
                    var lines = new StringWriter(CultureInfo.InvariantCulture);
                    bool checkDeterminism = !sampled || seed % DeterminismSampleEvery == 0;
                    int exitCode = Run(null, seed, settingsFor(seed), quiet: true, lines, checkDeterminism);
                    lock (gate)
                    {
                        twice += checkDeterminism ? 1 : 0;
                        done[index] = (exitCode, lines.ToString());
                        if (exitCode != 0 && index < failedAt)
                        {
                            failedAt = index;
                        }

                        // Print what is complete, in seed order, up to the first failure.
                        while (printed < count && printed <= failedAt && done[printed] is { } finished)
                        {
                            Console.Write(finished.Lines);
                            done[printed] = (finished.ExitCode, string.Empty);
                            printed++;
                            progress?.Report(printed, $"seed {first + (ulong)printed - 1}");
                        }
                    }
                }
            }
            catch (Exception e)
            {
                lock (gate)
                {
                    crash ??= e;
                    failedAt = -1;
                }
            }
        }

        var threads = Enumerable.Range(0, Math.Min(workers, count))
            .Select(i => new Thread(Work, maxStackSize: 16 * 1024 * 1024) { Name = $"simulate-{i}", IsBackground = true })
            .ToArray();
        foreach (var thread in threads)
        {
            thread.Start();
        }

        foreach (var thread in threads)
        {
            thread.Join();
        }

        progress?.Dispose();
        if (crash is not null)
        {
            throw crash;
        }

        if (failedAt < count)
        {
            ulong seed = first + (ulong)failedAt;
            Console.WriteLine($"seed {seed} failed (exit code {done[failedAt]!.Value.ExitCode}); its full report follows");
            Console.WriteLine();
            return Run(null, seed, settingsFor(seed), quiet: false);
        }

        Console.WriteLine(sampled
            ? $"all {count} seeds from {first} passed; {twice} of them (those divisible by {DeterminismSampleEvery}) were run twice for determinism"
            : $"all {count} seeds from {first} passed");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"speed: {wall.Elapsed.TotalSeconds:0.00} s wall for {count} seeds on {threads.Length} threads, {(sampled ? $"{twice} of them" : "each")} run twice, {count / wall.Elapsed.TotalSeconds:0.00} seeds per second (this line alone varies between runs)"));
        return 0;
    }

    private static int Run(string? spec, ulong seed, Settings settings, bool quiet, TextWriter? quietOutput = null, bool checkDeterminism = true)
    {
        var quietOut = quietOutput ?? Console.Out;
        var (members, items, duration, faultRate, logDir, kazoo, rebalance) = settings;
        if (kazoo is { } k && members + k > Scenario.MembersMax)
        {
            throw new BadInputException($"--kazoo-members {k} with --members {members} makes {members + k} members, more than {Scenario.MembersMax}");
        }

        if (kazoo is > 0 && rebalance == PartyRebalance.Cooperative)
        {
            throw new BadInputException($"--kazoo-members {kazoo} with --rebalance cooperative: a kazoo member cannot take part in a cooperative party (use --rebalance mixed)");
        }

        Scenario scenario;
        try
        {
            scenario = spec is not null
                ? Scenario.Parse(spec)
                : ScenarioGenerator.FromSeed(seed, members, items, TimeSpan.FromSeconds(duration), faultRate, kazoo, rebalance);
        }
        catch (Exception e) when (e is ArgumentException or FormatException)
        {
            var message = e is ArgumentException a ? ConnectionOptions.WithoutParameter(a) : e.Message;
            throw new BadInputException(spec is null ? message : $"--scenario: {message}");
        }

        var reproduce = spec is not null
            ? $"dotnet run --project src/Partitioner.Cli -c Release -- simulate --scenario \"{spec}\""
            : string.Create(CultureInfo.InvariantCulture,
                $"dotnet run --project src/Partitioner.Cli -c Release -- simulate --seed {seed} --members {members} --items {items} --duration {duration} --fault-rate {faultRate}{(kazoo is { } given ? $" --kazoo-members {given}" : "")}{(rebalance is { } mode ? $" --rebalance {mode.ToString().ToLowerInvariant()}" : "")}");
        if (!quiet)
        {
            PrintHeader(scenario);
        }

        var wall = Stopwatch.StartNew();
        SimulationResult result;
        SimulationResult? again;
        TimeSpan elapsed;
        try
        {
            result = Simulator.Run(scenario);
            elapsed = wall.Elapsed;

            // The second run records event logs and must give the same trace: determinism is checked every time,
            // except for the seeds a sampled soak runs once.
            again = checkDeterminism ? Simulator.Run(scenario, new SimulationOptions { RecordEventLogs = true }) : null;
        }
        catch (Exception e)
        {
            // Failures inside a run are reported by the run; this is the simulator itself failing to start.
            (quietOutput ?? Console.Error).WriteLine($"partitioner simulate: CRASH: {e}");
            quietOut.WriteLine($"reproduce: {reproduce}");
            return (int)SimulationOutcome.Crash;
        }

        bool deterministic = again is null || again.TraceHash == result.TraceHash;
        int exitCode = !deterministic && result.Outcome == SimulationOutcome.Passed ? NondeterminismExitCode : result.ExitCode;
        if (quiet)
        {
            quietOut.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"seed {scenario.Seed}: {(exitCode == 0 ? "passed" : "FAILED")}, {scenario.Members} members{(scenario.KazooMembers > 0 ? $" and {scenario.KazooMembers} kazoo" : "")}, {scenario.Items} items, {faultRate} faults/s: {scenario.Faults.Length} faults, {result.SimulatedTime.TotalSeconds:0.0} s simulated, {result.Steps} steps, trace {result.TraceHash[..16]}, store {result.StoreWritesAccepted} accepted {result.StoreWritesRefused} refused, work overlaps {result.WorkOverlaps} (longest {result.WorkOverlapLongest.TotalSeconds:0.000} s){(result.KazooLivenessExcuse is null ? "" : ", liveness excused (kazoo)")}{HandOffSummary(result)}"));
            return exitCode;
        }

        // Not quiet: checkDeterminism is always true here, so the second run is there.
        PrintTimeline(result);
        PrintChecks(result, deterministic, again!.TraceHash);
        WriteLogs(again, exitCode != 0 ? logDir ?? $"partitioner-sim-logs/seed-{scenario.Seed}" : logDir);
        Console.WriteLine(exitCode == 0 ? "result: PASSED (exit code 0)" : $"result: FAILED (exit code {exitCode})");
        Console.WriteLine($"reproduce: {reproduce}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"speed: {result.SimulatedTime.TotalSeconds / elapsed.TotalSeconds:0} simulated seconds per wall second ({elapsed.TotalSeconds:0.00} s wall; this line alone varies between runs)"));
        return exitCode;
    }

    /// <summary>The options that shape a drawn scenario.</summary>
    private readonly record struct Settings(int Members, int Items, double Duration, double FaultRate, string? LogDir, int? KazooMembers, PartyRebalance? Rebalance);

    /// <summary>The soak line's part on a cooperative or mixed party: its mode and what the hand-offs cost.</summary>
    private static string HandOffSummary(SimulationResult result) => result.Scenario.Rebalance == PartyRebalance.Eager
        ? string.Empty
        : string.Create(CultureInfo.InvariantCulture,
            $", {result.Scenario.Rebalance.ToString().ToLowerInvariant()}: {result.ItemsAssigned} assigned {result.ItemsRevoked} revoked {result.ItemsLost} lost");

    private static void PrintHeader(Scenario scenario)
    {
        Console.WriteLine("partitioner simulate: real SetPartitioners on an in-memory ZooKeeper, under faults");
        Console.WriteLine("knobs (drawn from the seed unless a scenario spec was given):");
        foreach (var knob in Simulator.DescribeKnobs(scenario))
        {
            Console.WriteLine("  " + knob);
        }

        Console.WriteLine($"scenario spec: {scenario}");
        Console.WriteLine();
    }

    private static void PrintTimeline(SimulationResult result)
    {
        Console.WriteLine("timeline (virtual time; faults, session changes, state changes and ownership):");
        foreach (var line in result.Timeline)
        {
            Console.WriteLine(line);
        }

        Console.WriteLine();
    }

    private static void PrintChecks(SimulationResult result, bool deterministic, string secondHash)
    {
        Console.WriteLine("checks:");
        var safety = result.Violation is { IsSafety: true } v ? $"VIOLATED: {v.Kind} at {v.At.TotalSeconds:0.000} s: {v.Message}" : "held";
        Console.WriteLine($"  single owner, lock agreement and no stale write accepted by the fenced store, after each of {result.Steps} steps: {safety}");
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  fenced store: {result.StoreWritesAccepted} writes accepted, {result.StoreWritesRefused} refused as below the item's highest token"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"  work overlap (reported, not a failure): {result.WorkOverlaps} times an item's work began while it ran in another member, longest {result.WorkOverlapLongest.TotalSeconds:0.000} s"));
        var liveness = result.ConvergedAt is { } at
            ? $"converged at {at.TotalSeconds:0.000} s ({(at - result.QuietAt).TotalSeconds:0.000} s after the last fault ended, bound {result.Scenario.LivenessBound.TotalSeconds} s)"
            : result.Violation is { Kind: Simulation.Checks.ViolationKind.Liveness } l ? $"VIOLATED: {l.Message}" : "not reached";
        Console.WriteLine($"  liveness: {liveness}");
        if (result.Scenario.Rebalance != PartyRebalance.Eager)
        {
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"  hand-offs (no item's work stopped unless a party moved it away or its member lost its claim, judged at each stop): {result.ItemsAssigned} items assigned, {result.ItemsRevoked} revoked, {result.ItemsLost} lost"));
        }
        if (result.Scenario.HasTransients)
        {
            Console.WriteLine($"  transient replies: the leader answered {result.TransientReplies} requests with ThrottledOp, SessionMoved, OperationTimeout or a ConnectionLoss inside a multiRead");
        }

        if (result.Scenario.KazooMembers > 0 || result.KazooOverlaps > 0)
        {
            Console.WriteLine($"  kazoo members (no fencing, no deadline of their own): {result.KazooOverlaps} times a member took an item a kazoo member still claimed on a session the server had ended (reported apart)");
        }

        if (result.KazooLivenessExcuse is { } excuse)
        {
            Console.WriteLine($"  liveness excused by kazoo's known weakness: {excuse}");
        }

        if (result.OperatorOverlaps + result.OperatorLockExemptions > 0)
        {
            Console.WriteLine($"  excused, an operator deleted a held lock node (no member can know in time): {result.OperatorOverlaps} overlaps, {result.OperatorLockExemptions} lock checks");
        }

        if (result.Violation is { Kind: Simulation.Checks.ViolationKind.Crash } crash)
        {
            Console.WriteLine($"  CRASH at {crash.At.TotalSeconds:0.000} s: {crash.Message}");
        }

        Console.WriteLine(deterministic
            ? $"  determinism: a second run gave the same trace hash {result.TraceHash[..16]}"
            : $"  determinism: VIOLATED: trace hash {result.TraceHash[..16]} then {secondHash[..16]}");
        Console.WriteLine($"  simulated {result.SimulatedTime.TotalSeconds:0.000} s");
    }

    private static void WriteLogs(SimulationResult result, string? directory)
    {
        if (directory is null)
        {
            return;
        }

        var written = result.WriteEventLogs(directory);
        Console.WriteLine($"event logs: {written.Count} written to {directory} (check one with: partitioner replay <file>)");
    }
}
