using System.Net;
using System.Net.Sockets;

namespace Partitioner.Integration.Infrastructure;

/// <summary>
/// A loopback TCP proxy in front of one server, for injecting network faults between a client and
/// ZooKeeper: <see cref="CutAll"/> resets every open connection; <see cref="Blackhole"/> holds all traffic
/// (bytes are kept, not lost, until <see cref="Blackhole"/> is turned off); <see cref="Delay"/> delays each
/// chunk forwarded; <see cref="RefuseNew"/> closes new connections at once. Connect clients to
/// <see cref="ConnectString"/>.
/// </summary>
/// <example>
/// <code>
/// await using var proxy = TcpProxy.Start(server.Port);
/// await using var zk = await ZooKeeperClient.ConnectAsync(proxy.ConnectString);
/// proxy.CutAll();   // zk sees Suspended, then Reconnected
/// </code>
/// </example>
public sealed class TcpProxy : IAsyncDisposable
{
    private readonly TcpListener _listener;
    private readonly int _targetPort;
    private readonly CancellationTokenSource _stop = new();
    private readonly List<(TcpClient Client, TcpClient Server)> _links = [];
    private readonly Task _acceptLoop;
    private TaskCompletionSource _open = CompletedGate();

    private TcpProxy(int targetPort)
    {
        _targetPort = targetPort;
        _listener = new TcpListener(IPAddress.Loopback, 0);
        _listener.Start();
        _acceptLoop = AcceptLoop();
    }

    /// <summary>The proxy's own port.</summary>
    public int Port => ((IPEndPoint)_listener.LocalEndpoint).Port;

    /// <summary><c>127.0.0.1:port</c> of the proxy.</summary>
    public string ConnectString => $"127.0.0.1:{Port}";

    /// <summary>The delay applied to each chunk forwarded in either direction. The default is zero.</summary>
    public TimeSpan Delay { get; set; }

    /// <summary>When true, new connections are accepted and closed at once.</summary>
    public bool RefuseNew { get; set; }

    /// <summary>How many connections the proxy has accepted.</summary>
    public int AcceptedCount { get; private set; }

    /// <summary>Starts a proxy forwarding to 127.0.0.1:<paramref name="targetPort"/>.</summary>
    public static TcpProxy Start(int targetPort) => new(targetPort);

    /// <summary>Holds (true) or releases (false) all traffic through the proxy, in both directions, for old and new connections.</summary>
    public void Blackhole(bool on)
    {
        lock (_links)
        {
            if (on && _open.Task.IsCompleted)
            {
                _open = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            else if (!on)
            {
                _open.TrySetResult();
            }
        }
    }

    /// <summary>Resets every connection open now (both sides); new ones are accepted as before.</summary>
    public void CutAll()
    {
        List<(TcpClient Client, TcpClient Server)> links;
        lock (_links)
        {
            links = [.. _links];
            _links.Clear();
        }

        foreach (var (client, server) in links)
        {
            Reset(client);
            Reset(server);
        }
    }

    /// <summary>Stops listening and cuts every connection.</summary>
    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        _listener.Stop();
        Blackhole(false);
        CutAll();
        await _acceptLoop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private static TaskCompletionSource CompletedGate()
    {
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        gate.SetResult();
        return gate;
    }

    private static void Reset(TcpClient client)
    {
        try
        {
            client.Client.LingerState = new LingerOption(true, 0);
        }
        catch (Exception e) when (e is SocketException or ObjectDisposedException)
        {
            // Already closed.
        }

        client.Dispose();
    }

    private async Task AcceptLoop()
    {
        while (!_stop.IsCancellationRequested)
        {
            TcpClient client;
            try
            {
                client = await _listener.AcceptTcpClientAsync(_stop.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or SocketException or ObjectDisposedException)
            {
                return;
            }

            AcceptedCount++;
            if (RefuseNew)
            {
                Reset(client);
                continue;
            }

            _ = Link(client);
        }
    }

    private async Task Link(TcpClient client)
    {
        var server = new TcpClient { NoDelay = true };
        client.NoDelay = true;
        try
        {
            await server.ConnectAsync(IPAddress.Loopback, _targetPort, _stop.Token).ConfigureAwait(false);
        }
        catch (Exception e) when (e is SocketException or OperationCanceledException)
        {
            Reset(client);
            server.Dispose();
            return;
        }

        lock (_links)
        {
            _links.Add((client, server));
        }

        var up = Pump(client, server);
        var down = Pump(server, client);
        await Task.WhenAny(up, down).ConfigureAwait(false);
        lock (_links)
        {
            _links.Remove((client, server));
        }

        Reset(client);
        Reset(server);
    }

    /// <summary>Copies one direction, honouring the blackhole gate and the delay.</summary>
    private async Task Pump(TcpClient from, TcpClient to)
    {
        var buffer = new byte[64 * 1024];
        try
        {
            var source = from.GetStream();
            var target = to.GetStream();
            while (true)
            {
                var count = await source.ReadAsync(buffer, _stop.Token).ConfigureAwait(false);
                if (count == 0)
                {
                    return;
                }

                Task gate;
                lock (_links)
                {
                    gate = _open.Task;
                }

                await gate.WaitAsync(_stop.Token).ConfigureAwait(false);
                if (Delay > TimeSpan.Zero)
                {
                    await Task.Delay(Delay, _stop.Token).ConfigureAwait(false);
                }

                await target.WriteAsync(buffer.AsMemory(0, count), _stop.Token).ConfigureAwait(false);
            }
        }
        catch (Exception e) when (e is IOException or SocketException or ObjectDisposedException or OperationCanceledException or InvalidOperationException)
        {
            // The link ends; Link closes both sides.
        }
    }
}
