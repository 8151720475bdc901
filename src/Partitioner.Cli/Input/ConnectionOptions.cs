using System.CommandLine;
using System.Globalization;
using ZooKeeper.Client;

namespace Partitioner.Cli.Input;

/// <summary>What a command was told about reaching ZooKeeper, checked.</summary>
internal sealed record ConnectionSettings(string ConnectString, ConnectionString Parsed, TimeSpan ConnectTimeout, TimeSpan SessionTimeout)
{
    /// <summary>TLS settings, or null for plaintext.</summary>
    public ZooKeeperTlsOptions? Tls { get; init; }

    /// <summary>Credentials sent before the first request; never printed (only their schemes are).</summary>
    public IReadOnlyList<AuthInfo> Auth { get; init; } = [];

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

    /// <summary>The environment variable that may hold the credentials, <c>scheme:credentials</c>, when <c>--auth-file</c> is not given.</summary>
    public const string AuthVariable = "PARTITIONER_ZK_AUTH";

    public Option<string?> TlsCa { get; } = new("--tls-ca")
    {
        Description = "Connect over TLS, trusting the CA certificates in this PEM file (without it, --tls-cert alone trusts the system store).",
    };

    public Option<string?> TlsCert { get; } = new("--tls-cert")
    {
        Description = "Connect over TLS with this client certificate: PEM (with --tls-key) or PKCS#12 (its password from PARTITIONER_TLS_PASSWORD).",
    };

    public Option<string?> TlsKey { get; } = new("--tls-key") { Description = "The PEM private key of --tls-cert." };

    public Option<bool> Tls { get; } = new("--tls") { Description = "Connect over TLS, trusting the system store (implied by --tls-ca and --tls-cert)." };

    public Option<string?> AuthFile { get; } = new("--auth-file")
    {
        Description = $"A file whose first line is scheme:credentials (digest:user:password), sent before the first request. Without it, the {AuthVariable} environment variable is read. Never on the command line.",
    };

    public void AddTo(Command command)
    {
        command.Options.Add(Connect);
        command.Options.Add(ConnectTimeout);
        command.Options.Add(SessionTimeout);
        command.Options.Add(Tls);
        command.Options.Add(TlsCa);
        command.Options.Add(TlsCert);
        command.Options.Add(TlsKey);
        command.Options.Add(AuthFile);
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

        return new ConnectionSettings(text, parsed, Numbers.Seconds(parse.GetValue(ConnectTimeout), "--connect-timeout", positive: true), session)
        {
            Tls = ReadTls(parse),
            Auth = ReadAuth(parse.GetValue(AuthFile)),
        };
    }

    /// <exception cref="BadInputException">A TLS file is missing or unreadable; the message names it.</exception>
    private ZooKeeperTlsOptions? ReadTls(ParseResult parse)
    {
        var (ca, cert, key) = (parse.GetValue(TlsCa), parse.GetValue(TlsCert), parse.GetValue(TlsKey));
        if (ca is null && cert is null && key is null)
        {
            return parse.GetValue(Tls) ? new ZooKeeperTlsOptions() : null;
        }

        try
        {
            return ZooKeeperTlsOptions.FromFiles(ca, cert, key, Environment.GetEnvironmentVariable("PARTITIONER_TLS_PASSWORD"));
        }
        catch (ArgumentException e)
        {
            throw new BadInputException($"--tls: {WithoutParameter(e)}");
        }
    }

    /// <summary>
    /// Reads <c>scheme:credentials</c> from the file, or else from <see cref="AuthVariable"/>; none when neither is set.
    /// The errors never quote the credentials.
    /// </summary>
    /// <exception cref="BadInputException">The file is missing, or the text is not scheme:credentials.</exception>
    internal static IReadOnlyList<AuthInfo> ReadAuth(string? file)
    {
        string? text;
        string source;
        if (file is not null)
        {
            source = $"--auth-file {file}";
            try
            {
                text = File.ReadLines(file).FirstOrDefault() ?? "";
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                throw new BadInputException($"{source}: cannot be read ({e.GetType().Name})");
            }
        }
        else
        {
            source = $"the {AuthVariable} environment variable";
            text = Environment.GetEnvironmentVariable(AuthVariable);
            if (string.IsNullOrEmpty(text))
            {
                return [];
            }
        }

        text = text.Trim();
        var colon = text.IndexOf(':', StringComparison.Ordinal);
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw new BadInputException($"{source}: expected scheme:credentials, such as digest:user:password (the text is not shown)");
        }

        return [new AuthInfo(text[..colon], System.Text.Encoding.UTF8.GetBytes(text[(colon + 1)..]))];
    }

    /// <summary>
    /// Connects, telling <paramref name="status"/> first which servers it tries.
    /// </summary>
    /// <exception cref="ConnectFailedException">No server answered within the connect timeout.</exception>
    public static async Task<ZooKeeperClient> ConnectAsync(ConnectionSettings settings, Action<string> status, CancellationToken cancellationToken)
    {
        status(string.Create(CultureInfo.InvariantCulture,
            $"connecting to {settings.Servers} (giving up after {settings.ConnectTimeout.TotalSeconds:0.###} s)"));
        var options = new ZooKeeperClientOptions
        {
            SessionTimeout = settings.SessionTimeout,
            ConnectTimeout = settings.ConnectTimeout,
            Tls = settings.Tls,
            Auth = settings.Auth,
        };
        try
        {
            return await ZooKeeperClient.ConnectAsync(settings.ConnectString, options, cancellationToken);
        }
        catch (AuthFailedException)
        {
            throw new ConnectFailedException($"{settings.Servers} refused the credentials (scheme {string.Join(", ", settings.Auth.Select(a => a.Scheme))})");
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
