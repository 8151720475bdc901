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
    private static readonly TimeSpan RunTimeoutMax = TimeSpan.FromMinutes(15);

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
        RunAsync("acquire", items.ToString(CultureInfo.InvariantCulture));

    /// <summary><paramref name="members"/> members sharing <paramref name="items"/> items, one more joins: seconds to all ACQUIRED, minus the time boundary.</summary>
    public Task<KazooFigure> RebalanceAsync(int members, int items) =>
        RunAsync("rebalance", members.ToString(CultureInfo.InvariantCulture), items.ToString(CultureInfo.InvariantCulture));

    private async Task<KazooFigure> RunAsync(params string[] arguments)
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

        return Parse(stdout, arguments[0]);
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
