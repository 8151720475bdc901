using System.Text.Json;
using Partitioner.Core;
using Partitioner.ZooKeeper;

namespace Partitioner.Cli.Worker;

/// <summary>Writes one JSON object per line, whole, from any thread.</summary>
internal sealed class WorkerOutput(TextWriter writer)
{
    private readonly object _gate = new();

    /// <summary>Each owned item with its fencing token, as the worker prints them: <c>[{"item":"a","token":4294967301}]</c>.</summary>
    public static object[] Owned(IEnumerable<OwnedItem> owned) => [.. owned.Select(o => new { item = o.Name, token = o.FencingToken })];

    /// <summary>The worker's name of an item's ownership change: "assigned", "revoked" or "lost".</summary>
    public static string ChangeName(ItemOwnershipChange change) => change switch
    {
        ItemOwnershipChange.Assigned => "assigned",
        ItemOwnershipChange.Revoked => "revoked",
        _ => "lost",
    };

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
/// each time they change, checking every 20 ms, each with its fencing token. This is the line a test reads to see whether a member that
/// was paused believes, after resuming, that it still owns anything.
/// </summary>
internal sealed class OwnershipReporter : IDisposable
{
    private static readonly TimeSpan CheckInterval = TimeSpan.FromMilliseconds(20);
    private readonly SetPartitioner _member;
    private readonly WorkerOutput _output;
    private readonly ITimer _timer;
    private readonly object _gate = new();
    private OwnedItem[] _reported = [];

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
            var owned = _member.OwnedItems.ToArray();
            if (!owned.SequenceEqual(_reported))
            {
                _reported = owned;
                _output.Write(new { @event = "ownership", items = owned.Select(o => o.Name).ToArray(), owned = WorkerOutput.Owned(owned) });
            }
        }
    }
}
