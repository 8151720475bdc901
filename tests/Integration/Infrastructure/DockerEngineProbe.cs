using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Partitioner.Integration.Infrastructure;

/// <summary>
/// Asks a Docker engine's API for <c>GET /_ping</c>, as Docker's own clients do, on <c>DOCKER_HOST</c>
/// (<c>unix:///path</c> or <c>tcp://host:port</c>) or else on <c>/var/run/docker.sock</c>. Bounded by a short timeout,
/// so a machine without Docker costs the test run almost nothing.
/// </summary>
public sealed class DockerEngineProbe
{
    private static readonly TimeSpan Timeout = TimeSpan.FromSeconds(2);

    /// <summary>A probe of <paramref name="endpoint"/>, such as <c>unix:///var/run/docker.sock</c> or <c>tcp://127.0.0.1:2375</c>.</summary>
    public DockerEngineProbe(string endpoint)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(endpoint);
        Endpoint = endpoint;
    }

    /// <summary>The endpoint asked.</summary>
    public string Endpoint { get; }

    /// <summary>The probe of this machine's engine: <c>DOCKER_HOST</c>, or the default socket.</summary>
    public static DockerEngineProbe FromEnvironment() =>
        new(Environment.GetEnvironmentVariable("DOCKER_HOST") is { Length: > 0 } host ? host : "unix:///var/run/docker.sock");

    /// <summary>True when the engine answers its ping with HTTP 200; false when nothing listens, the answer is another, or none comes in time.</summary>
    public bool Answers()
    {
        try
        {
            using var socket = Connect();
            if (socket is null)
            {
                return false;
            }

            socket.SendTimeout = socket.ReceiveTimeout = (int)Timeout.TotalMilliseconds;
            socket.Send(Encoding.ASCII.GetBytes("GET /_ping HTTP/1.1\r\nHost: docker\r\nConnection: close\r\n\r\n"));
            var buffer = new byte[256];
            var read = socket.Receive(buffer);
            var status = Encoding.ASCII.GetString(buffer, 0, read).Split("\r\n")[0];
            return status.StartsWith("HTTP/1.", StringComparison.Ordinal) && status.Contains(" 200", StringComparison.Ordinal);
        }
        catch (Exception e) when (e is SocketException or IOException or ObjectDisposedException)
        {
            return false;
        }
    }

    private Socket? Connect()
    {
        var uri = new Uri(Endpoint);
        Socket socket;
        EndPoint target;
        if (uri.Scheme == "unix")
        {
            if (!File.Exists(uri.AbsolutePath))
            {
                return null;
            }

            socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
            target = new UnixDomainSocketEndPoint(uri.AbsolutePath);
        }
        else if (uri.Scheme is "tcp" or "http")
        {
            socket = new Socket(SocketType.Stream, ProtocolType.Tcp);
            target = new DnsEndPoint(uri.Host, uri.Port);
        }
        else
        {
            return null;
        }

        try
        {
            using var timeout = new CancellationTokenSource(Timeout);
            socket.ConnectAsync(target, timeout.Token).AsTask().GetAwaiter().GetResult();
            return socket;
        }
        catch (OperationCanceledException)
        {
            socket.Dispose();
            return null;
        }
        catch
        {
            socket.Dispose();
            throw;
        }
    }
}
