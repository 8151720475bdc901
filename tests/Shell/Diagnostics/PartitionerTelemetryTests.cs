using Partitioner.Tests.Support.Port;
using System.Diagnostics;
using Partitioner.Core;
using Partitioner.Tests.Support.Telemetry;
using Partitioner.ZooKeeper;
using Partitioner.ZooKeeper.Diagnostics;

namespace Partitioner.Tests.Shell.Diagnostics;

/// <summary>
/// The shell's metrics and spans, read with a MeterListener and an ActivityListener, while real members run Core
/// against the in-memory ZooKeeper in virtual time: every duration below is a span of virtual time the test chose.
/// </summary>
public sealed class PartitionerTelemetryTests : IDisposable
{
    private readonly MetricsCapture _metrics = new();
    private readonly string _path = "/telemetry-" + Guid.NewGuid().ToString("N");
    private readonly TreeParty _party;
    private readonly SpanCapture _spans;

    public PartitionerTelemetryTests()
    {
        _party = new TreeParty(_path);
        _spans = new SpanCapture(PartitionerInstruments.Name, "partitioner.path", _path);
    }

    public void Dispose()
    {
        _spans.Dispose();
        _metrics.Dispose();
    }

    [Fact]
    public void OneMember_Acquiring_CountsItsItemsAndState_AndTimesTheAcquireAndTheAllocation()
    {
        var member = Join("0");

        _party.Settle(() => member.Acquired);

        Assert.Equal(3, _metrics.Sum("partitioner.items.owned"));
        Assert.Equal(1, _metrics.Sum("partitioner.members", "partitioner.state", "acquired"));
        Assert.Equal(0, _metrics.Sum("partitioner.members", "partitioner.state", "allocating"));
        var acquire = Assert.Single(_metrics.Of("partitioner.acquire.duration"));
        Assert.Equal("s", acquire.Unit);
        // The time boundary is 1 s of virtual time and the in-memory server answers at once.
        Assert.Equal(1.0, acquire.Value, precision: 6);
        var allocation = Assert.Single(_metrics.Of("partitioner.allocation.duration"));
        Assert.Equal("acquired", allocation.Tag("partitioner.outcome"));
        Assert.Equal(_path, allocation.Tag("partitioner.path"));
        var span = Assert.Single(_spans.Stopped);
        Assert.Equal("partitioner.allocation", span.OperationName);
        Assert.Equal("0", span.GetTagItem("partitioner.member"));
        Assert.Equal(3, span.GetTagItem("partitioner.items"));
        Assert.Equal(TimeSpan.FromSeconds(1), span.Duration);
        Assert.Null(Activity.Current);
    }

    [Fact]
    public void AMemberJoining_CountsARebalance_TimesIt_AndNestsTheAllocationInItsSpan()
    {
        var first = Join("0");
        _party.Settle(() => first.Acquired);

        var second = Join("1");
        _party.Settle(() => first.Release);
        _party.Time.Advance(TimeSpan.FromSeconds(2));
        _ = first.ReleaseSetAsync();
        _party.Settle(() => first.Acquired && second.Acquired);

        Assert.Equal(1, _metrics.Sum("partitioner.rebalances"));
        Assert.Equal(3, _metrics.Sum("partitioner.items.owned"));
        Assert.Equal(2, _metrics.Sum("partitioner.members", "partitioner.state", "acquired"));
        Assert.Equal(0, _metrics.Sum("partitioner.members", "partitioner.state", "release"));
        var rebalance = Assert.Single(_metrics.Of("partitioner.rebalance.duration"));
        Assert.Equal("acquired", rebalance.Tag("partitioner.outcome"));
        // The work took 2 s to stop, then the party had to be still for the 1 s time boundary.
        Assert.InRange(rebalance.Value, 3.0, 3.2);
        var rebalanceSpan = Assert.Single(_spans.Stopped, s => s.OperationName == "partitioner.rebalance");
        Assert.Equal("0", rebalanceSpan.GetTagItem("partitioner.member"));
        Assert.Equal(rebalance.Value, rebalanceSpan.Duration.TotalSeconds, precision: 6);
        var nested = Assert.Single(_spans.Stopped, s => s.OperationName == "partitioner.allocation" && s.ParentSpanId == rebalanceSpan.SpanId);
        Assert.Equal(2, nested.GetTagItem("partitioner.items"));
    }

    [Fact]
    public async Task ALockHeldByAnotherSession_IsALockWait_TimedUntilItIsDeleted()
    {
        // Given another session holding the lock of item "a" (as a kazoo Lock would).
        var other = new TreePort(_party.Tree, 1000, _party.Time);
        foreach (var folder in new[] { _path, _path + "/locks", _path + "/locks/a" })
        {
            await other.CreateAsync(folder, ReadOnlyMemory<byte>.Empty, NodeKind.Persistent, PartyAcl.OpenUnsafe.Folder);
        }

        var held = await other.CreateAsync(_path + "/locks/a/" + new string('f', 32) + "__lock__", ReadOnlyMemory<byte>.Empty, NodeKind.EphemeralSequential, PartyAcl.OpenUnsafe.Node);
        var member = Join("0");

        // When the member has waited 5 s of virtual time beyond its time boundary, and the lock goes.
        _party.Settle(() => _metrics.Sum("partitioner.lock.waits") == 1);
        _party.Time.Advance(TimeSpan.FromSeconds(5));
        await other.DeleteAsync(held.CreatedPath!);
        _party.Settle(() => member.Acquired);

        // Then one wait was counted and timed, and the member took the item.
        var wait = Assert.Single(_metrics.Of("partitioner.lock.wait.duration"));
        Assert.Equal("released", wait.Tag("partitioner.outcome"));
        Assert.Equal(5.0, wait.Value, precision: 6);
        Assert.Equal(["a", "b", "c"], member.AcquiredItems);
    }

    [Fact]
    public async Task AFinishedMember_IsNoLongerCountedInAnyState_NorItsItems()
    {
        var member = Join("0");
        _party.Settle(() => member.Acquired);

        await member.DisposeAsync();

        Assert.Equal(0, _metrics.Sum("partitioner.items.owned"));
        Assert.Equal(0, _metrics.Sum("partitioner.members"));
    }

    [Fact]
    public void LoggerFactory_WithoutALogger_GetsTheStateChangesUnderTheSetPartitionerCategory()
    {
        var logs = new CapturingLoggerFactory();
        var member = Join("0", logs);

        _party.Settle(() => member.Acquired);

        var line = Assert.Single(logs.Lines, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Information);
        Assert.Equal("Partitioner.ZooKeeper.SetPartitioner", line.Category);
        Assert.Equal("Partitioner 0: Allocating -> Acquired (state id 1, 3 items)", line.Message);
    }

    [Fact]
    public void LoggerFactory_GetsTheSessionsExpiry_AsAWarningNamingTheMember()
    {
        var logs = new CapturingLoggerFactory();
        var port = new TreePort(_party.Tree, 77, _party.Time);
        var options = new SetPartitionerOptions
        {
            Identifier = "0",
            ContenderPrefix = new string('7', 32),
            TimeProvider = _party.Time,
            TimeBoundary = TimeSpan.FromSeconds(1),
            LoggerFactory = logs,
        };
        var member = new SetPartitioner(port, _path, ["a"], options);
        _party.Settle(() => member.Acquired);

        port.Expire();

        var warning = Assert.Single(logs.Lines, l => l.Level == Microsoft.Extensions.Logging.LogLevel.Warning);
        Assert.Equal("Partitioner 0: the ZooKeeper session ended (expired or closed): the member cannot own anything any more", warning.Message);
        Assert.True(member.Failed);
    }

    private SetPartitioner Join(string identifier, CapturingLoggerFactory? logs = null) =>
        _party.Join(identifier, tuning: options =>
        {
            options.MeterFactory = _metrics;
            options.LoggerFactory = logs;
        }).Partitioner;
}
