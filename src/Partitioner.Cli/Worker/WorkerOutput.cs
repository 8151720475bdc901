using System.Text.Json;
using Partitioner.ZooKeeper;

namespace Partitioner.Cli.Worker;

/// <summary>Writes one JSON object per line, whole, from any thread.</summary>
internal sealed class WorkerOutput(TextWriter writer)
{
    private readonly object _gate = new();

    public void Write(object line)
    {
        var text = JsonSerializer.Serialize(line);
        lock (_gate)
        {
            writer.WriteLine(text);
            writer.Flush();
        }
    }
}

/// <summary>
/// Reports the items the member may act on (<see cref="SetPartitioner.AcquiredItems"/>, which is stale-safe)
/// each time they change, checking every 20 ms. This is the line a test reads to see whether a member that
/// was paused believes, after resuming, that it still owns anything.
/// </summary>
internal sealed class OwnershipReporter : IDisposable
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(20);
    private readonly SetPartitioner _member;
    private readonly WorkerOutput _output;
    private readonly ITimer _timer;
    private readonly object _gate = new();
    private string[] _reported = [];

    public OwnershipReporter(SetPartitioner member, WorkerOutput output, TimeProvider time)
    {
        _member = member;
        _output = output;
        _timer = time.CreateTimer(_ => Check(), null, CheckInterval, CheckInterval);
    }

    public void Dispose() => _timer.Dispose();

    private void Check()
    {
        lock (_gate)
        {
            var now = _member.AcquiredItems.ToArray();
            if (!now.SequenceEqual(_reported, StringComparer.Ordinal))
            {
                _reported = now;
                _output.Write(new { @event = "ownership", items = now });
            }
        }
    }
}
