using System.Collections.Concurrent;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Partitioner.Hosting;
using Partitioner.ZooKeeper;

namespace Partitioner.Integration.Hosting;

/// <summary>Every per-item work instance of one host, in the order they were made (one per scope).</summary>
internal sealed class ItemWorkLog
{
    private readonly ConcurrentQueue<RecordingItemWork> _instances = new();

    public IReadOnlyList<RecordingItemWork> Instances => [.. _instances];

    /// <summary>The works started and not yet returned, by item.</summary>
    public Dictionary<string, RecordingItemWork> Running() =>
        Instances.Where(w => w.Started && !w.Returned).ToDictionary(w => w.Item!, StringComparer.Ordinal);

    public int StartsOf(string item) => Instances.Count(w => w.Item == item);

    public void Add(RecordingItemWork work) => _instances.Enqueue(work);
}

/// <summary>The test's per-item work: records its item, waits for its stop, records the reason, and when its scope disposed it.</summary>
internal sealed class RecordingItemWork : ISetPartitionerItemWork, IDisposable
{
    private volatile bool _started;
    private volatile bool _returned;
    private volatile bool _disposed;
    private volatile bool _disposedAfterReturn;

    public RecordingItemWork(ItemWorkLog log) => log.Add(this);

    public string? Item { get; private set; }

    public ItemStopReason StopReason { get; private set; }

    public bool Started => _started;

    public bool Returned => _returned;

    public bool Disposed => _disposed;

    /// <summary>True when the scope was disposed after the work had returned, not while it ran.</summary>
    public bool DisposedAfterReturn => _disposedAfterReturn;

    public async Task RunAsync(ItemWork item)
    {
        Item = item.Item;
        _started = true;
        try
        {
            await Task.Delay(Timeout.Infinite, item.Stopping);
        }
        catch (OperationCanceledException)
        {
            StopReason = item.StopReason;
        }

        _returned = true;
    }

    public void Dispose()
    {
        _disposedAfterReturn = _returned;
        _disposed = true;
    }
}

/// <summary>Builds a host whose member runs <see cref="RecordingItemWork"/> per item, configured from a configuration section.</summary>
internal static class HostedItemWorkKit
{
    public static IHost BuildItems(IReadOnlyDictionary<string, string?> settings, ItemWorkLog log)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = HostedMemberKit.ShutdownTimeout);
        builder.Services.AddSingleton(log);
        builder.Services.AddSetPartitionerItems<RecordingItemWork>(builder.Configuration.GetSection(HostedMemberKit.Section));
        return builder.Build();
    }
}
