using System.Collections.Concurrent;
using System.Globalization;
using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Partitioner.Hosting;

namespace Partitioner.Integration.Hosting;

/// <summary>What every work instance of one host did: the items it was given, whether its token was cancelled, and when it was disposed.</summary>
internal sealed class WorkLog
{
    private readonly ConcurrentQueue<RecordingWork> _instances = new();

    /// <summary>When set, the work ignores its token until this completes (a slow consumer that keeps the member in Release).</summary>
    public TaskCompletionSource? HoldAfterCancel { get; set; }

    public IReadOnlyList<RecordingWork> Instances => [.. _instances];

    public RecordingWork? Latest => Instances.LastOrDefault();

    public void Add(RecordingWork work) => _instances.Enqueue(work);
}

/// <summary>The test's work handler: records its items, waits for its token, and records how it ended.</summary>
internal sealed class RecordingWork : ISetPartitionerWork, IDisposable
{
    private readonly WorkLog _log;

    public RecordingWork(WorkLog log)
    {
        _log = log;
        log.Add(this);
    }

    public IReadOnlyList<string>? Items { get; private set; }

    public bool Cancelled { get; private set; }

    public bool Returned { get; private set; }

    public bool Disposed { get; private set; }

    public async Task RunAsync(IReadOnlyList<string> items, CancellationToken cancellationToken)
    {
        Items = items;
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            Cancelled = true;
        }

        if (_log.HoldAfterCancel is { } hold)
        {
            await hold.Task;
        }

        Returned = true;
    }

    public void Dispose() => Disposed = true;
}

/// <summary>Builds a host with one hosted member, configured as an application would be: from a configuration section.</summary>
internal static class HostedMemberKit
{
    public const string Section = "Partitioner";

    public static readonly TimeSpan ShutdownTimeout = TimeSpan.FromSeconds(15);

    public static Dictionary<string, string?> Settings(string connectString, string path, IEnumerable<string> items, string identifier)
    {
        var settings = new Dictionary<string, string?>
        {
            [$"{Section}:ConnectString"] = connectString,
            [$"{Section}:Path"] = path,
            [$"{Section}:Identifier"] = identifier,
            [$"{Section}:TimeBoundary"] = "00:00:00.200",
            [$"{Section}:MaxReactionTime"] = "00:00:00.500",
            [$"{Section}:SessionTimeout"] = "00:00:06",
        };
        var index = 0;
        foreach (var item in items)
        {
            settings[string.Create(CultureInfo.InvariantCulture, $"{Section}:Items:{index++}")] = item;
        }

        return settings;
    }

    public static IHost Build(IReadOnlyDictionary<string, string?> settings, WorkLog? log = null, Action<SetPartitionerHostOptions>? configure = null)
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Configuration.AddInMemoryCollection(settings);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = ShutdownTimeout);
        builder.Services.AddSingleton(log ?? new WorkLog());
        builder.Services.AddSetPartitioner<RecordingWork>(builder.Configuration.GetSection(Section), configure);
        builder.Services.AddHealthChecks().AddCheck<SetPartitionerHealthCheck>("partitioner");
        return builder.Build();
    }
}
