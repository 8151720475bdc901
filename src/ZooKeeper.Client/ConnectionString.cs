using System.Globalization;

namespace ZooKeeper.Client;

/// <summary>A server of the ensemble: a host name or address and a port.</summary>
/// <param name="Host">A host name or IP address (IPv6 without brackets).</param>
/// <param name="Port">The client port.</param>
public sealed record ServerAddress(string Host, int Port)
{
    /// <inheritdoc/>
    public override string ToString() => Host.Contains(':', StringComparison.Ordinal) ? $"[{Host}]:{Port}" : $"{Host}:{Port}";
}

/// <summary>
/// A parsed connect string <c>host[:port][,host[:port]...][/chroot]</c>. The port defaults to 2181;
/// everything from the first '/' on is the chroot, and a lone '/' means none. IPv6 hosts go in brackets.
/// </summary>
public sealed record ConnectionString(IReadOnlyList<ServerAddress> Servers, string? Chroot)
{
    /// <summary>The port used when a server names none.</summary>
    public const int DefaultPort = 2181;

    /// <summary>Parses <paramref name="text"/>; throws an <see cref="ArgumentException"/> naming what is wrong.</summary>
    public static ConnectionString Parse(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var slash = text.IndexOf('/', StringComparison.Ordinal);
        var hostsPart = slash < 0 ? text : text[..slash];
        var chroot = slash < 0 ? null : text[slash..];
        if (chroot is not null)
        {
            PathValidation.Validate(chroot, parameterName: nameof(text));
            chroot = chroot == "/" ? null : chroot;
        }

        var servers = hostsPart.Split(',').Select(part => ParseServer(part.Trim(), text)).ToList();
        return new ConnectionString(servers, chroot);
    }

    private static ServerAddress ParseServer(string part, string text)
    {
        if (part.Length == 0)
        {
            throw new ArgumentException($"The connect string '{text}' has an empty server entry.", nameof(text));
        }

        string host;
        string? portText = null;
        if (part[0] == '[')
        {
            var close = part.IndexOf(']', StringComparison.Ordinal);
            if (close < 0)
            {
                throw new ArgumentException($"The server '{part}' in '{text}' has no closing ']'.", nameof(text));
            }

            host = part[1..close];
            portText = close + 1 < part.Length && part[close + 1] == ':' ? part[(close + 2)..] : null;
        }
        else
        {
            var colon = part.LastIndexOf(':');
            host = colon < 0 ? part : part[..colon];
            portText = colon < 0 ? null : part[(colon + 1)..];
        }

        return new ServerAddress(host, ParsePort(portText, part, text));
    }

    private static int ParsePort(string? portText, string part, string text)
    {
        if (portText is null)
        {
            return DefaultPort;
        }

        if (!int.TryParse(portText, NumberStyles.None, CultureInfo.InvariantCulture, out var port) || port is < 1 or > 65535)
        {
            throw new ArgumentException($"The server '{part}' in '{text}' has an invalid port '{portText}'.", nameof(text));
        }

        return port;
    }

    /// <summary>The server path for a caller's path: the chroot is prepended.</summary>
    internal string ToServerPath(string path) => Chroot is null ? path : path == "/" ? Chroot : Chroot + path;

    /// <summary>The caller's path for a server path: the chroot is removed (the chroot itself becomes '/').</summary>
    internal string ToClientPath(string serverPath)
    {
        if (Chroot is null)
        {
            return serverPath;
        }

        if (serverPath == Chroot)
        {
            return "/";
        }

        return serverPath.StartsWith(Chroot + "/", StringComparison.Ordinal) ? serverPath[Chroot.Length..] : serverPath;
    }
}
