using Partitioner.Core;
using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Partitioner.ZooKeeper;

namespace Partitioner.Hosting;

/// <summary>
/// The hosted member: connects through <see cref="ZooKeeperConnection"/>, runs a <see cref="SetPartitioner"/> with
/// the host's options, and on each acquisition resolves an <see cref="ISetPartitionerWork"/> from a new scope and runs
/// it on the member's items (<see cref="SetPartitioner.RunAsync"/>'s loop); registered with per-item work, it resolves an
/// <see cref="ISetPartitionerItemWork"/> from a new scope for every item it comes to own and disposes the scope when that
/// item's work returns (<see cref="SetPartitioner.RunItemsAsync"/>'s loop). When the host stops, the work's token is
/// cancelled, the member releases its locks and leaves the party, and only then does the stop complete; that takes at
/// most the work's own stopping time plus one session timeout, within the host's shutdown timeout when it is longer.
/// </summary>
/// <remarks>
/// A member that reaches Failure without being asked to stop (its session expired, or its work threw) ends the
/// service with that exception; by default a .NET host then stops (<c>HostOptions.BackgroundServiceExceptionBehavior</c>),
/// so that the process is restarted with a new session. <see cref="SetPartitionerHealthCheck"/> reports Unhealthy.
/// </remarks>
public sealed class SetPartitionerService : BackgroundService
{
    private readonly ZooKeeperConnection _connection;
    private readonly IServiceScopeFactory _scopes;
    private readonly SetPartitionerHostOptions _options;
    private readonly ILoggerFactory? _loggers;
    private readonly IMeterFactory? _meters;
    private readonly ILogger _logger;
    private volatile SetPartitioner? _partitioner;
    private volatile bool _stopped;

    /// <summary>Creates the service; the host starts it.</summary>
    /// <param name="connection">The host's ZooKeeper connection.</param>
    /// <param name="scopes">Makes the scope each acquisition's work is resolved from.</param>
    /// <param name="options">The validated options.</param>
    /// <param name="loggers">Gives the member its logger; no logging when null.</param>
    /// <param name="meters">Makes the member's meter; a static meter when null.</param>
    public SetPartitionerService(
        ZooKeeperConnection connection,
        IServiceScopeFactory scopes,
        IOptions<SetPartitionerHostOptions> options,
        ILoggerFactory? loggers = null,
        IMeterFactory? meters = null)
    {
        ArgumentNullException.ThrowIfNull(connection);
        ArgumentNullException.ThrowIfNull(scopes);
        ArgumentNullException.ThrowIfNull(options);
        _connection = connection;
        _scopes = scopes;
        _options = options.Value;
        _loggers = loggers;
        _meters = meters;
        _logger = (ILogger?)loggers?.CreateLogger<SetPartitionerService>() ?? Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;
    }

    /// <summary>The member: null until the service has connected; after a stop, the finished member (in Failure).</summary>
    public SetPartitioner? Partitioner => _partitioner;

    /// <summary>True once the service has ended (the host stopped it, or the member failed).</summary>
    public bool Stopped => _stopped;

    /// <summary>Why the service ended without being asked to; null otherwise.</summary>
    public Exception? Fault { get; private set; }

    /// <inheritdoc />
    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        try
        {
            var client = await _connection.GetClientAsync(stoppingToken).ConfigureAwait(false);
            var perItem = PerItemWork();
            _options.TryGetPartitionFunction(out var function);
            var options = new SetPartitionerOptions
            {
                Rebalance = _options.Rebalance,
                PartitionFunction = function,
                Identifier = _options.Identifier,
                TimeBoundary = _options.TimeBoundary,
                MaxReactionTime = _options.MaxReactionTime,
                BatchSize = _options.BatchSize,
                ServerTickTime = _options.ServerTickTime,
                Acl = _options.Acl ?? PartyAcl.OpenUnsafe,
                TimeProvider = client.TimeProvider,
                LoggerFactory = _loggers,
                MeterFactory = _meters,
            };
            await using var partitioner = new SetPartitioner(client, _options.Path, _options.Items, options);
            _partitioner = partitioner;
            _logger.LogInformation("Joined the party at {Path} on {ConnectString} as {Identifier}.",
                _options.Path, _connection.ConnectString, partitioner.Config.Identifier);
            await (perItem ? partitioner.RunItemsAsync(ItemWorkAsync, stoppingToken) : partitioner.RunAsync(WorkAsync, stoppingToken)).ConfigureAwait(false);
            _logger.LogInformation("Left the party at {Path}.", _options.Path);
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
            // Stopped while connecting: there was no member to finish.
        }
        catch (Exception exception)
        {
            Fault = exception;
            _logger.LogError(exception, "The member of the party at {Path} stopped: {Reason}", _options.Path, exception.Message);
            throw;
        }
        finally
        {
            _stopped = true;
        }
    }

    /// <summary>True when the registration gave per-item work; a service built without one runs set-wide work.</summary>
    private bool PerItemWork()
    {
        using var scope = _scopes.CreateScope();
        return scope.ServiceProvider.GetService<HostedWork>() is { PerItem: true };
    }

    private async Task ItemWorkAsync(ItemWork item)
    {
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var work = scope.ServiceProvider.GetRequiredService<ISetPartitionerItemWork>();
            await work.RunAsync(item).ConfigureAwait(false);
        }
    }

    private async Task WorkAsync(IReadOnlyList<string> items, CancellationToken cancellationToken)
    {
        var scope = _scopes.CreateAsyncScope();
        await using (scope.ConfigureAwait(false))
        {
            var work = scope.ServiceProvider.GetRequiredService<ISetPartitionerWork>();
            await work.RunAsync(items, cancellationToken).ConfigureAwait(false);
        }
    }
}
