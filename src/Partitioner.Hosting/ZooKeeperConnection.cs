using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using ZooKeeper.Client;

namespace Partitioner.Hosting;

/// <summary>
/// The host's ZooKeeper session: one <see cref="ZooKeeperClient"/>, connected on first use with
/// <see cref="SetPartitionerHostOptions.ConnectString"/> and <see cref="SetPartitionerHostOptions.SessionTimeout"/>,
/// and closed when the host disposes its services (after the hosted member has left the party). Other code of the
/// host may share the session through <see cref="GetClientAsync"/>.
/// </summary>
public sealed class ZooKeeperConnection : IAsyncDisposable, IDisposable
{
    private readonly object _gate = new();
    private readonly SetPartitionerHostOptions _options;
    private readonly TimeProvider _time;
    private readonly ILoggerFactory? _loggers;
    private readonly IMeterFactory? _meters;
    private Task<ZooKeeperClient>? _connecting;
    private bool _disposed;

    /// <summary>Creates the connection; nothing is sent until <see cref="GetClientAsync"/>.</summary>
    /// <param name="options">The validated host options.</param>
    /// <param name="time">The clock of the client (and so of the member); <see cref="TimeProvider.System"/> when null.</param>
    /// <param name="loggers">The host's loggers, for the client's connection logs; none when null.</param>
    /// <param name="meters">The host's meter factory, for the client's metrics; a static meter when null.</param>
    public ZooKeeperConnection(
        IOptions<SetPartitionerHostOptions> options, TimeProvider? time = null, ILoggerFactory? loggers = null, IMeterFactory? meters = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value;
        _time = time ?? TimeProvider.System;
        _loggers = loggers;
        _meters = meters;
    }

    /// <summary>The connect string this connection uses.</summary>
    public string ConnectString => _options.ConnectString;

    /// <summary>
    /// The connected client. The first call connects (trying the servers until one answers, or until every server
    /// refuses for good, such as a plaintext client at a TLS port, which fails the call with
    /// <see cref="ConnectionLossException"/>); later calls get the same client. A call that failed or was cancelled
    /// before the session exists leaves the next call to connect again.
    /// </summary>
    /// <param name="cancellationToken">Stops waiting for the connection.</param>
    /// <exception cref="ObjectDisposedException">The host has disposed the connection.</exception>
    public async Task<ZooKeeperClient> GetClientAsync(CancellationToken cancellationToken = default)
    {
        Task<ZooKeeperClient> connecting;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_connecting is null || _connecting.IsFaulted || _connecting.IsCanceled)
            {
                var options = new ZooKeeperClientOptions
                {
                    SessionTimeout = _options.SessionTimeout,
                    TimeProvider = _time,
                    LoggerFactory = _loggers,
                    MeterFactory = _meters,
                    Auth = [.. _options.Auth ?? []],
                    Tls = _options.Tls,
                };
                _connecting = ZooKeeperClient.ConnectAsync(_options.ConnectString, options, cancellationToken);
            }

            connecting = _connecting;
        }

        return await connecting.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Closes the session, if one was made (its ephemeral nodes go with it).</summary>
    public async ValueTask DisposeAsync()
    {
        Task<ZooKeeperClient>? connecting;
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _disposed = true;
            connecting = _connecting;
        }

        if (connecting is { IsCompletedSuccessfully: true })
        {
            await connecting.Result.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Closes the session; for containers disposed synchronously (<see cref="DisposeAsync"/> is preferred).</summary>
    public void Dispose() => DisposeAsync().AsTask().GetAwaiter().GetResult();
}
