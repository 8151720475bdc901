using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;

namespace ZooKeeper.Client;

/// <summary>Settings of a <see cref="ZooKeeperClient"/>, checked once when the client connects.</summary>
public sealed class ZooKeeperClientOptions
{
    /// <summary>The session timeout asked of the server, which clamps it to its own bounds (by default 2 to 20 ticks). The default is 10 seconds.</summary>
    public TimeSpan SessionTimeout { get; init; } = TimeSpan.FromSeconds(10);

    /// <summary>The upper bound of the random wait before each reconnect; a full failed pass over the servers adds this much again. The default is 1 second.</summary>
    public TimeSpan ReconnectDelayMax { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How long <see cref="ZooKeeperClient.CloseAsync"/> waits for the server to confirm the closed session. The default is 2 seconds.</summary>
    public TimeSpan CloseTimeout { get; init; } = TimeSpan.FromSeconds(2);

    /// <summary>
    /// The largest frame accepted from the server, in bytes. A larger reply is read past without being kept and its
    /// request fails with a <see cref="ReplyTooLargeException"/> naming the size; the connection stays up. The default
    /// is 1,048,575 (ZooKeeper's jute.maxbuffer).
    /// </summary>
    public int FrameBytesMax { get; init; } = WireLimits.FrameBytesDefault;

    /// <summary>
    /// The most requests in flight (sent and not yet answered) on the connection. A request made while this many are
    /// in flight is not failed: it waits, unsent and in order behind any others waiting, and goes out as replies
    /// free places, so its caller's task simply completes later (back-pressure). Waiting requests fail with
    /// ConnectionLoss if the connection drops, as those in flight do. The default is 10,000, far above what a
    /// partitioner sends at once (its work goes in multis and multiReads of up to 250 ops each), so the limit only
    /// stops a runaway caller from queueing without end.
    /// </summary>
    public int PendingRequestsMax { get; init; } = 10_000;

    /// <summary>
    /// The clock that <see cref="ZooKeeperClient.LastHeardTimestamp"/>, the ping schedule and the read timeout are
    /// measured with; the client's own threads still sleep in real time between checks. The default is <see cref="TimeProvider.System"/>.
    /// </summary>
    public TimeProvider TimeProvider { get; init; } = TimeProvider.System;

    /// <summary>
    /// How long <see cref="ZooKeeperClient.ConnectAsync"/> keeps trying the servers before it gives up with a
    /// <see cref="ConnectionLossException"/> that names them and the last reason; null keeps trying until the
    /// caller's token is cancelled. A server that is down or not serving yet is tried again; settings that every
    /// server refuses end the first connect at once whatever this is (see <see cref="Tls"/>). The default is null.
    /// </summary>
    public TimeSpan? ConnectTimeout { get; init; }

    /// <summary>
    /// Makes the logger (category "ZooKeeper.Client") for connections, reconnects, expiry and the reason of every
    /// dropped connection. The default (null) logs nothing.
    /// </summary>
    public ILoggerFactory? LoggerFactory { get; init; }

    /// <summary>
    /// Makes the "ZooKeeper.Client" meter that the client's metrics go to (see the README's table); a host passes its own.
    /// The default (null) uses a static meter of the same name.
    /// </summary>
    public IMeterFactory? MeterFactory { get; init; }

    /// <summary>The seed of the reconnect jitter, for reproducible runs; null draws one. The default is null.</summary>
    public int? JitterSeed { get; init; }

    /// <summary>
    /// Credentials sent on every connection right after the handshake, before any request, such as
    /// <see cref="AuthInfo.Digest"/>. <see cref="ZooKeeperClient.ConnectAsync(string, ZooKeeperClientOptions?, CancellationToken)"/>
    /// returns only once the server has accepted them, and throws <see cref="AuthFailedException"/> when it refuses them.
    /// The default is none.
    /// </summary>
    public IReadOnlyList<AuthInfo> Auth { get; init; } = [];

    /// <summary>
    /// Connect over TLS (ZooKeeper's <c>secureClientPort</c>) with these settings, on every connection; null speaks
    /// plaintext. When every server of the connect string refuses the first connect in a way that trying again will
    /// not change, <see cref="ZooKeeperClient.ConnectAsync(string, ZooKeeperClientOptions?, CancellationToken)"/>
    /// throws a <see cref="ConnectionLossException"/> at once, with the reason, even without a
    /// <see cref="ConnectTimeout"/>: the client refused the server's certificate (untrusted, expired, wrong name),
    /// the server refused the TLS handshake (it needs a client certificate), or the port speaks the other protocol (a
    /// plaintext client on a TLS port, or this on a plaintext port: the client then asks the port for a session in the
    /// other protocol, and closes it again, to tell a wrong port from a server that is not serving yet). The default is null.
    /// </summary>
    public ZooKeeperTlsOptions? Tls { get; init; }

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first invalid setting.</summary>
    public void Validate()
    {
        if (SessionTimeout < TimeSpan.FromMilliseconds(100) || SessionTimeout > TimeSpan.FromDays(1))
        {
            throw new ArgumentException($"SessionTimeout {SessionTimeout} must be between 100 ms and 1 day.", nameof(SessionTimeout));
        }

        if (ReconnectDelayMax < TimeSpan.FromMilliseconds(1) || ReconnectDelayMax > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException($"ReconnectDelayMax {ReconnectDelayMax} must be between 1 ms and 10 minutes.", nameof(ReconnectDelayMax));
        }

        if (CloseTimeout < TimeSpan.Zero || CloseTimeout > TimeSpan.FromMinutes(10))
        {
            throw new ArgumentException($"CloseTimeout {CloseTimeout} must be between 0 and 10 minutes.", nameof(CloseTimeout));
        }

        if (ConnectTimeout is { } connect && (connect <= TimeSpan.Zero || connect > TimeSpan.FromDays(1)))
        {
            throw new ArgumentException($"ConnectTimeout {connect} must be more than 0 and at most 1 day.", nameof(ConnectTimeout));
        }

        if (PendingRequestsMax < 1)
        {
            throw new ArgumentException($"PendingRequestsMax {PendingRequestsMax} must be at least 1.", nameof(PendingRequestsMax));
        }

        if (FrameBytesMax < 1024)
        {
            throw new ArgumentException($"FrameBytesMax {FrameBytesMax} must be at least 1024.", nameof(FrameBytesMax));
        }

        ArgumentNullException.ThrowIfNull(TimeProvider, nameof(TimeProvider));
        ArgumentNullException.ThrowIfNull(Auth, nameof(Auth));
        foreach (var auth in Auth)
        {
            if (auth is null || string.IsNullOrEmpty(auth.Scheme) || auth.Data is null)
            {
                throw new ArgumentException("Auth holds an entry without a scheme or data.", nameof(Auth));
            }
        }
    }
}

/// <summary>
/// Credentials for one authentication scheme, as the auth packet carries them. <see cref="ToString"/> shows the
/// scheme only, so that credentials never reach a log by accident.
/// </summary>
/// <param name="Scheme">The scheme, such as <c>digest</c>.</param>
/// <param name="Data">The scheme's credentials; for digest the UTF-8 bytes of <c>user:password</c>.</param>
public sealed record AuthInfo(string Scheme, byte[] Data)
{
    /// <summary>Digest credentials, <c>user:password</c>, which match an ACL entry made by <see cref="Acl.Digest"/>.</summary>
    /// <exception cref="ArgumentException">The user is empty or contains ':'.</exception>
    public static AuthInfo Digest(string user, string password)
    {
        ArgumentException.ThrowIfNullOrEmpty(user);
        ArgumentNullException.ThrowIfNull(password);
        if (user.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The digest user '{user}' must not contain ':'.", nameof(user));
        }

        return new AuthInfo("digest", System.Text.Encoding.UTF8.GetBytes($"{user}:{password}"));
    }

    /// <summary>The scheme and a placeholder for the credentials.</summary>
    public override string ToString() => $"{Scheme}:(credentials not shown)";
}
