using System.Globalization;

namespace Partitioner.Benchmarks.Partitioner;

/// <summary>
/// The CPU time the ZooKeeper server process has used, read from Linux's <c>/proc/PID/stat</c>, so the benchmark
/// can split an allocation's time between this process and the server. The server is found by the data folder on
/// its command line (the benchmark started it; a server given with --connect is not measured).
/// </summary>
internal sealed class ServerCpu
{
    // Field numbers as proc(5) counts them: 1 is the pid, 2 the command name, 3 the state.
    private const int UserTimeField = 14;
    private const int SystemTimeField = 15;
    private const int FirstFieldAfterName = 3;
    private const double ClockTicksPerSecond = 100;
    private readonly string _statPath;

    private ServerCpu(string statPath)
    {
        _statPath = statPath;
    }

    /// <summary>The server whose command line names <paramref name="dataDir"/>; null when there is none or no /proc.</summary>
    public static ServerCpu? Find(string dataDir)
    {
        if (!Directory.Exists("/proc"))
        {
            return null;
        }

        foreach (string folder in Directory.EnumerateDirectories("/proc"))
        {
            string cmdline = Path.Combine(folder, "cmdline");
            try
            {
                string text = File.ReadAllText(cmdline);
                if (text.Contains("java", StringComparison.Ordinal) && text.Contains(dataDir, StringComparison.Ordinal))
                {
                    return new ServerCpu(Path.Combine(folder, "stat"));
                }
            }
            catch (IOException)
            {
                // The process ended while we looked.
            }
            catch (UnauthorizedAccessException)
            {
                // Not ours to read.
            }
        }

        return null;
    }

    /// <summary>User plus system CPU seconds so far (100 ticks a second, so a 10 ms resolution).</summary>
    public double Seconds()
    {
        string stat = File.ReadAllText(_statPath);
        // The command name in parentheses may hold spaces; the fields that follow it are space-separated.
        string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        long ticks = long.Parse(fields[UserTimeField - FirstFieldAfterName], CultureInfo.InvariantCulture)
            + long.Parse(fields[SystemTimeField - FirstFieldAfterName], CultureInfo.InvariantCulture);
        return ticks / ClockTicksPerSecond;
    }
}
