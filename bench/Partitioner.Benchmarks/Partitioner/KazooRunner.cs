using System.Diagnostics;
using System.Globalization;
using System.Text.Json;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>One figure kazoo_bench.py printed: seconds, and the party path it used (for cleaning up).</summary>
internal readonly record struct KazooFigure(double Seconds, string Path);

/// <summary>
/// Runs kazoo's side of the benchmark (<c>bench/kazoo/kazoo_bench.py</c>, with Debian's Python and
/// python3-kazoo) against the same server, one run per process, and reads the JSON line it prints.
/// </summary>
internal sealed class KazooRunner(string script, string connectString, TimeSpan timeBoundary)
{
    private static readonly TimeSpan RunTimeoutMax = TimeSpan.FromMinutes(30);

    /// <summary>Finds kazoo_bench.py from the current folder or the benchmark's own folder upwards.</summary>
    public static string? FindScript()
    {
        foreach (string start in new[] { Directory.GetCurrentDirectory(), AppContext.BaseDirectory })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                string candidate = Path.Combine(dir.FullName, "bench", "kazoo", "kazoo_bench.py");
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        return null;
    }

    /// <summary>One member acquiring <paramref name="items"/> items: seconds from kazoo's allocation start to ACQUIRED.</summary>
    public Task<KazooFigure> AcquireAsync(int items) =>
        FigureAsync("acquire", [items.ToString(CultureInfo.InvariantCulture)]);

    /// <summary><paramref name="members"/> members sharing <paramref name="items"/> items, one more joins: seconds to all ACQUIRED, minus the time boundary.</summary>
    public Task<KazooFigure> RebalanceAsync(int members, int items) =>
        FigureAsync("rebalance", [members.ToString(CultureInfo.InvariantCulture), items.ToString(CultureInfo.InvariantCulture)]);

    /// <summary>
    /// The hand-off benchmark's kazoo side (<c>handoff</c>): <paramref name="members"/> members share
    /// <paramref name="items"/> items, one more joins, then a rolling restart of all; every member's work starts and
    /// stops, as kazoo_bench.py took them on its own monotonic clock, go into <paramref name="ledger"/>.
    /// </summary>
    /// <returns>Each scenario's window on that clock, by name ("join", "restart"), and the party path.</returns>
    public async Task<(Dictionary<string, (double From, double To)> Phases, string Path)> HandOffAsync(int members, int items, WorkLedger ledger)
    {
        string stdout = await RunProcessAsync(["handoff", members.ToString(CultureInfo.InvariantCulture), items.ToString(CultureInfo.InvariantCulture)]);
        var phases = new Dictionary<string, (double, double)>(StringComparer.Ordinal);
        string? path = null;
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            switch (root.GetProperty("bench").GetString())
            {
                case "work":
                    string member = root.GetProperty("m").GetString()!;
                    bool start = root.GetProperty("ev").GetString() == "start";
                    double at = root.GetProperty("t").GetDouble();
                    foreach (var item in root.GetProperty("items").EnumerateArray())
                    {
                        if (start)
                        {
                            ledger.Start(member, item.GetString()!, at);
                        }
                        else
                        {
                            ledger.Stop(member, item.GetString()!, at);
                        }
                    }

                    break;
                case "phase":
                    phases[root.GetProperty("name").GetString()!] = (root.GetProperty("from").GetDouble(), root.GetProperty("to").GetDouble());
                    break;
                case "handoff":
                    path = root.GetProperty("path").GetString();
                    break;
            }
        }

        return path is not null && phases.Count == 2
            ? (phases, path)
            : throw new InvalidOperationException($"kazoo_bench.py handoff printed no result:\n{stdout}");
    }

    private async Task<KazooFigure> FigureAsync(string bench, string[] arguments) =>
        Parse(await RunProcessAsync([bench, .. arguments]), bench);

    private async Task<string> RunProcessAsync(string[] arguments)
    {
        var info = new ProcessStartInfo("/usr/bin/python3")
        {
            UseShellExecute = false,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        info.ArgumentList.Add(script);
        info.ArgumentList.Add(connectString);
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        info.ArgumentList.Add("--time-boundary");
        info.ArgumentList.Add(timeBoundary.TotalSeconds.ToString("R", CultureInfo.InvariantCulture));
        using var process = Process.Start(info) ?? throw new InvalidOperationException("/usr/bin/python3 did not start");
        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var timeout = new CancellationTokenSource(RunTimeoutMax);
        try
        {
            await process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new InvalidOperationException($"kazoo_bench.py {string.Join(' ', arguments)} ran past {RunTimeoutMax} and was killed.");
        }

        string stdout = await output;
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException(
                $"kazoo_bench.py {string.Join(' ', arguments)} exited with {process.ExitCode}:\n{stdout}\n{await errors}");
        }

        return stdout;
    }

    private static KazooFigure Parse(string stdout, string bench)
    {
        foreach (string line in stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
        {
            using var json = JsonDocument.Parse(line);
            var root = json.RootElement;
            if (root.GetProperty("bench").GetString() == bench)
            {
                return new KazooFigure(root.GetProperty("seconds").GetDouble(), root.GetProperty("path").GetString() ?? "");
            }
        }

        throw new InvalidOperationException($"kazoo_bench.py printed no '{bench}' figure:\n{stdout}");
    }
}
