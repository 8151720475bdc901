using System.CommandLine;
using System.Globalization;
using ZooKeeper.Client;

namespace Partitioner.Cli.Input;

/// <summary>What a command was told about reaching ZooKeeper, checked.</summary>
internal sealed record ConnectionSettings(string ConnectString, ConnectionString Parsed, TimeSpan ConnectTimeout, TimeSpan SessionTimeout)
{
    /// <summary>The servers, as the error and progress lines name them.</summary>
    public string Servers => string.Join(", ", Parsed.Servers) + (Parsed.Chroot is { } chroot ? $" (chroot {chroot})" : "");
}

/// <summary>
/// The options every command that talks to ZooKeeper shares (<c>--connect</c>, <c>--connect-timeout</c>,
/// <c>--session-timeout</c>); one place, so that options added later (TLS, credentials) reach every such command.
/// </summary>
internal sealed class ConnectionOptions
{
    /// <summary>The default of <c>--connect-timeout</c>, in seconds.</summary>
    public const double ConnectTimeoutDefaultSeconds = 10;

    public Option<string> Connect { get; } = new("--connect")
    {
        Description = "ZooKeeper connect string, host:port[,host:port...][/chroot].",
        DefaultValueFactory = _ => "127.0.0.1:2181",
    };

    public Option<double> ConnectTimeout { get; } = new("--connect-timeout")
    {
        Description = "Seconds to keep trying the servers before giving up.",
        DefaultValueFactory = _ => ConnectTimeoutDefaultSeconds,
    };

    public Option<double> SessionTimeout { get; } = new("--session-timeout")
    {
        Description = "Session timeout asked of the server, in seconds.",
        DefaultValueFactory = _ => 10.0,
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Connect);
        command.Options.Add(ConnectTimeout);
        command.Options.Add(SessionTimeout);
    }

    /// <exception cref="BadInputException">The connect string or a timeout is not valid.</exception>
    public ConnectionSettings Read(ParseResult parse)
    {
        var text = parse.GetValue(Connect)!;
        ConnectionString parsed;
        try
        {
            parsed = ConnectionString.Parse(text);
        }
        catch (ArgumentException e)
        {
            throw new BadInputException($"--connect: {WithoutParameter(e)}");
        }

        var session = Numbers.Seconds(parse.GetValue(SessionTimeout), "--session-timeout", positive: true);
        if (session < TimeSpan.FromMilliseconds(100))
        {
            throw new BadInputException(string.Create(CultureInfo.InvariantCulture, $"--session-timeout {session.TotalSeconds} is under 0.1 s"));
        }

        return new ConnectionSettings(text, parsed, Numbers.Seconds(parse.GetValue(ConnectTimeout), "--connect-timeout", positive: true), session);
    }

    /// <summary>
    /// Connects, telling <paramref name="status"/> first which servers it tries.
    /// </summary>
    /// <exception cref="ConnectFailedException">No server answered within the connect timeout.</exception>
    public static async Task<ZooKeeperClient> ConnectAsync(ConnectionSettings settings, Action<string> status, CancellationToken cancellationToken)
    {
        status(string.Create(CultureInfo.InvariantCulture,
            $"connecting to {settings.Servers} (giving up after {settings.ConnectTimeout.TotalSeconds:0.###} s)"));
        var options = new ZooKeeperClientOptions { SessionTimeout = settings.SessionTimeout, ConnectTimeout = settings.ConnectTimeout };
        try
        {
            return await ZooKeeperClient.ConnectAsync(settings.ConnectString, options, cancellationToken);
        }
        catch (KeeperException e)
        {
            throw new ConnectFailedException(e.Code == ErrorCode.ConnectionLoss && e.Message.Contains("could not connect", StringComparison.Ordinal)
                ? e.Message[(e.Message.IndexOf("could not connect", StringComparison.Ordinal))..]
                : $"could not connect to {settings.Servers}: {e.Message}");
        }
    }

    /// <summary>An ArgumentException's message without the " (Parameter 'x')" that .NET appends.</summary>
    public static string WithoutParameter(ArgumentException e) =>
        e.ParamName is null ? e.Message : e.Message.Replace($" (Parameter '{e.ParamName}')", "", StringComparison.Ordinal);
}

/// <summary>No server answered within the connect timeout; the message names the servers and the last reason.</summary>
internal sealed class ConnectFailedException(string message) : Exception(message);
