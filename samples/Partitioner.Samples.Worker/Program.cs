using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Partitioner.Hosting;

var builder = Host.CreateApplicationBuilder(args);
builder.Services.AddSetPartitioner<QueueWork>(builder.Configuration.GetSection("Partitioner"));
builder.Services.AddHealthChecks().AddCheck<SetPartitionerHealthCheck>("partitioner");
builder.Services.AddSingleton<IHealthCheckPublisher, HealthLog>();
builder.Services.Configure<HealthCheckPublisherOptions>(o => (o.Delay, o.Period) = (TimeSpan.FromSeconds(1), TimeSpan.FromSeconds(1)));
builder.Build().Run(); // Ctrl+C or SIGTERM: the work is cancelled, the locks released, the party left

// A new QueueWork is made for every set this member acquires; its token is cancelled when the set must go.
sealed class QueueWork(ILogger<QueueWork> logger) : ISetPartitionerWork
{
    public async Task RunAsync(IReadOnlyList<string> items, CancellationToken cancellationToken)
    {
        logger.LogInformation("working on: {Items}", string.Join(", ", items));
        try
        {
            await Task.Delay(Timeout.Infinite, cancellationToken); // your work on the items
        }
        catch (OperationCanceledException)
        {
        }

        logger.LogInformation("stopped working on: {Items}", string.Join(", ", items));
    }
}

// Prints the health check's verdict when it changes; a web host would map it to /healthz instead.
sealed class HealthLog(ILogger<HealthLog> logger) : IHealthCheckPublisher
{
    private string? _last;

    public Task PublishAsync(HealthReport report, CancellationToken cancellationToken)
    {
        var entry = report.Entries["partitioner"];
        var line = $"health: {entry.Status} ({entry.Description})";
        if (line != _last)
        {
            logger.LogInformation("{Health}", _last = line);
        }

        return Task.CompletedTask;
    }
}
