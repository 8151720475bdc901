using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Partitioner.Simulation.Checks;

/// <summary>
/// The run's trace: every line (server operations, session changes, state changes, faults) feeds a
/// SHA-256 hash, a stable digest that two runs of the same scenario must agree on; the readable lines
/// (faults, session and state changes) are also kept as the timeline.
/// </summary>
public sealed class TraceRecorder
{
    private readonly IncrementalHash hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
    private readonly List<string> timeline = new();
    private Func<TimeSpan> now = () => TimeSpan.Zero;

    /// <summary>The readable lines, each starting with its virtual time.</summary>
    public IReadOnlyList<string> TimelineLines => timeline;

    /// <summary>How many lines fed the hash.</summary>
    public long LineCount { get; private set; }

    /// <summary>Records a line in the hash only (detail).</summary>
    public void Detail(string line)
    {
        LineCount++;
        var stamped = Stamp(line);
        hash.AppendData(Encoding.UTF8.GetBytes(stamped));
        hash.AppendData("\n"u8);
    }

    /// <summary>Records a line in the hash and the timeline.</summary>
    public void Timeline(string line)
    {
        LineCount++;
        var stamped = Stamp(line);
        hash.AppendData(Encoding.UTF8.GetBytes(stamped));
        hash.AppendData("\n"u8);
        timeline.Add(stamped);
    }

    /// <summary>The hash of every line so far, as lowercase hex.</summary>
    public string Hash() => Convert.ToHexStringLower(hash.GetCurrentHash());

    /// <summary>Formats a virtual time the way the timeline does: seconds with milliseconds.</summary>
    public static string FormatTime(TimeSpan time) => string.Create(CultureInfo.InvariantCulture, $"{time.TotalSeconds,9:0.000}s");

    internal void UseClock(Func<TimeSpan> clock) => now = clock;

    private string Stamp(string line) => $"{FormatTime(now())} {line}";
}
