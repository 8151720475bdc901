using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Text;

namespace Partitioner.Integration.Infrastructure;

/// <summary>How to run one ZooKeeper server. Every field has a default fit for tests.</summary>
public sealed record ZooKeeperServerSettings
{
    /// <summary>The tick in milliseconds; sessions are clamped to [2, 20] ticks unless the bounds below are set. The default is 200.</summary>
    public int TickTimeMs { get; init; } = 200;

    /// <summary>The smallest session timeout granted, in ms; null for 2 ticks. The default is null.</summary>
    public int? MinSessionTimeoutMs { get; init; }

    /// <summary>The largest session timeout granted, in ms; null for 20 ticks. The default is 30,000.</summary>
    public int? MaxSessionTimeoutMs { get; init; } = 30_000;

    /// <summary>The client port on 127.0.0.1; 0 picks a free one. The default is 0.</summary>
    public int ClientPort { get; init; }

    /// <summary>The data folder; null makes a temporary one, deleted on dispose. The default is null.</summary>
    public string? DataDir { get; init; }

    /// <summary>Extra zoo.cfg lines (an ensemble's server.N lines, for instance). The default is none.</summary>
    public IReadOnlyList<string> ExtraConfig { get; init; } = [];

    /// <summary>The content of the myid file, for an ensemble member; null for a standalone server. The default is null.</summary>
    public int? MyId { get; init; }

    /// <summary>
    /// The JVM options before <c>-cp</c>. The default suits tests (a small heap, the serial collector, a quick start
    /// with C1 only); a benchmark gives the server a larger heap and the full JIT.
    /// </summary>
    public string JavaOptions { get; init; } = "-Xmx128m -XX:+UseSerialGC -XX:TieredStopAtLevel=1";
}

/// <summary>
/// A ZooKeeper 3.8 server from Debian's <c>zookeeper</c> package, run as a child <c>java</c> process on a
/// loopback port with its own data folder. <see cref="Stop"/> and <see cref="Start"/> restart it on the same
/// port and data, so sessions can outlive a restart. <see cref="Dispose"/> kills the process tree and
/// removes a temporary data folder; a process-exit hook kills any server left behind by a crashed test run.
/// </summary>
/// <example>
/// <code>
/// using var server = ZooKeeperServerProcess.StartNew(new ZooKeeperServerSettings { TickTimeMs = 100 });
/// await using var zk = await ZooKeeperClient.ConnectAsync(server.ConnectString);
/// server.Stop(); server.Start();   // a restart on the same port and data
/// </code>
/// </example>
public sealed class ZooKeeperServerProcess : IDisposable
{
    private static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(30);
    private static readonly List<ZooKeeperServerProcess> Live = [];
    private readonly bool _ownsDataDir;
    private Process? _process;

    static ZooKeeperServerProcess() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    private ZooKeeperServerProcess(ZooKeeperServerSettings settings)
    {
        _ownsDataDir = settings.DataDir is null;
        DataDir = settings.DataDir ?? Directory.CreateTempSubdirectory("zk-test-").FullName;
        Port = settings.ClientPort == 0 ? FreePort.Next() : settings.ClientPort;
        Settings = settings;
        WriteConfig();
    }

    /// <summary>The settings the server was made with.</summary>
    public ZooKeeperServerSettings Settings { get; }

    /// <summary>The client port on 127.0.0.1.</summary>
    public int Port { get; }

    /// <summary>The data folder, which holds zoo.cfg and server.log too.</summary>
    public string DataDir { get; }

    /// <summary><c>127.0.0.1:port</c>.</summary>
    public string ConnectString => $"127.0.0.1:{Port}";

    /// <summary>True while the java process runs.</summary>
    public bool IsRunning => _process is { HasExited: false };

    /// <summary>Starts a server and waits until it answers <c>ruok</c>.</summary>
    public static ZooKeeperServerProcess StartNew(ZooKeeperServerSettings? settings = null)
    {
        var server = new ZooKeeperServerProcess(settings ?? new ZooKeeperServerSettings());
        try
        {
            server.Start();
            return server;
        }
        catch
        {
            server.Dispose();
            throw;
        }
    }

    /// <summary>Makes a server without starting it (an ensemble starts its members together).</summary>
    public static ZooKeeperServerProcess Create(ZooKeeperServerSettings settings) => new(settings);

    /// <summary>Starts the process (again) on the same port and data, and waits until it answers <c>ruok</c>.</summary>
    public void Start(bool waitReady = true)
    {
        if (IsRunning)
        {
            throw new InvalidOperationException($"The server on port {Port} is already running.");
        }

        _process = Process.Start(StartInfo()) ?? throw new InvalidOperationException("java did not start");
        lock (Live)
        {
            Live.Add(this);
        }

        if (waitReady)
        {
            // Ours, not merely a server: on a restart, a server of another process on the same port (see FreePort)
            // would answer ruok at once, and the clients would reconnect to a server that never knew their sessions.
            WaitUntil(() => FourLetterWord.Ask(Port, "ruok") == "imok" && ServesOwnData(), "answer ruok with its own data directory");
        }
    }

    /// <summary>True when the server on the port is this one: its <c>conf</c> names this server's data directory.</summary>
    private bool ServesOwnData() =>
        FourLetterWord.Ask(Port, "conf") is { } conf && conf.Contains("dataDir=" + DataDir, StringComparison.Ordinal);

    /// <summary>Kills the process (as a crash would) and waits for it to exit; the data stays.</summary>
    public void Stop()
    {
        var process = _process;
        _process = null;
        if (process is null)
        {
            return;
        }

        try
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
            }

            process.WaitForExit(10_000);
        }
        catch (InvalidOperationException)
        {
            // The process had already exited.
        }
        finally
        {
            process.Dispose();
            lock (Live)
            {
                Live.Remove(this);
            }
        }

        WaitUntil(() => !FourLetterWord.Accepts(Port), "release its port");
    }

    /// <summary>Waits until the server reports itself as serving (standalone, leader or follower), as <c>srvr</c> shows.</summary>
    public void WaitServing() =>
        WaitUntil(() => FourLetterWord.Ask(Port, "srvr") is { } s && s.Contains("Mode: ", StringComparison.Ordinal), "serve clients");

    /// <summary>The server's mode from <c>srvr</c> (standalone, leader, follower), or null when it does not answer.</summary>
    public string? Mode()
    {
        var answer = FourLetterWord.Ask(Port, "srvr");
        var line = answer?.Split('\n').FirstOrDefault(l => l.StartsWith("Mode: ", StringComparison.Ordinal));
        return line?["Mode: ".Length..].Trim();
    }

    /// <summary>The last lines of the server's log, for failure messages.</summary>
    public string LogTail(int lines = 30)
    {
        var log = Path.Combine(DataDir, "server.log");
        return File.Exists(log) ? string.Join('\n', File.ReadLines(log).TakeLast(lines)) : "(no log)";
    }

    /// <summary>
    /// Awaits <paramref name="waiting"/>; when it fails, the failure is thrown again with this server's log tail and
    /// <paramref name="clientSide"/>, which together say how the server treated a session it was asked to resume.
    /// </summary>
    public async Task ExplainedOnFailure(Task waiting, Func<string> clientSide)
    {
        try
        {
            await waiting.ConfigureAwait(false);
        }
        catch (Exception failure) when (failure is TimeoutException or InvalidOperationException)
        {
            throw new InvalidOperationException($"{failure.Message}\nClient: {clientSide()}\nServer log:\n{LogTail(80)}", failure);
        }
    }

    /// <summary>Kills the process and deletes a temporary data folder.</summary>
    public void Dispose()
    {
        Stop();
        if (_ownsDataDir)
        {
            try
            {
                Directory.Delete(DataDir, recursive: true);
            }
            catch (IOException)
            {
                // A file still held open: the folder is under /tmp and harmless.
            }
        }
    }

    private static void KillAll()
    {
        lock (Live)
        {
            foreach (var server in Live.ToList())
            {
                try
                {
                    server._process?.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException)
                {
                    // Already gone.
                }
            }
        }
    }

    private void WaitUntil(Func<bool> condition, string what)
    {
        var watch = Stopwatch.StartNew();
        while (!condition())
        {
            if (_process is { HasExited: true } || watch.Elapsed > ReadyTimeout)
            {
                throw new InvalidOperationException(
                    $"The ZooKeeper server on port {Port} did not {what} within {watch.Elapsed}. Command: {File.ReadAllText(Path.Combine(DataDir, "start.sh"))}\nLog:\n{LogTail()}");
            }

            Thread.Sleep(50);
        }
    }

    private void WriteConfig()
    {
        var config = new StringBuilder()
            .AppendLine(CultureInfo.InvariantCulture, $"tickTime={Settings.TickTimeMs}")
            .AppendLine(CultureInfo.InvariantCulture, $"dataDir={DataDir}")
            .AppendLine(CultureInfo.InvariantCulture, $"clientPort={Port}")
            .AppendLine("clientPortAddress=127.0.0.1")
            .AppendLine("admin.enableServer=false")
            .AppendLine("4lw.commands.whitelist=srvr,ruok,stat,mntr,cons,conf")
            .AppendLine("initLimit=20")
            .AppendLine("syncLimit=10");
        if (Settings.MinSessionTimeoutMs is { } min)
        {
            config.AppendLine(CultureInfo.InvariantCulture, $"minSessionTimeout={min}");
        }

        if (Settings.MaxSessionTimeoutMs is { } max)
        {
            config.AppendLine(CultureInfo.InvariantCulture, $"maxSessionTimeout={max}");
        }

        foreach (var line in Settings.ExtraConfig)
        {
            config.AppendLine(line);
        }

        File.WriteAllText(Path.Combine(DataDir, "zoo.cfg"), config.ToString());
        if (Settings.MyId is { } id)
        {
            File.WriteAllText(Path.Combine(DataDir, "myid"), id.ToString(CultureInfo.InvariantCulture));
        }
    }

    /// <summary>Server log lines with the time to the millisecond, so that a failure's log tail shows how long each step took.</summary>
    private const string LogWithTimes = "-Dorg.slf4j.simpleLogger.showDateTime=true -Dorg.slf4j.simpleLogger.dateTimeFormat=HH:mm:ss.SSS";

    /// <summary>Writes start.sh next to zoo.cfg (handy to run a failing server by hand) and runs it with exec, so the shell becomes java.</summary>
    private ProcessStartInfo StartInfo()
    {
        var java = File.Exists("/usr/bin/java") ? "/usr/bin/java" : "java";
        var script = Path.Combine(DataDir, "start.sh");
        File.WriteAllText(script, $"exec {java} {Settings.JavaOptions} {LogWithTimes} -cp '{JavaClassPath.Value.Value}' "
            + $"org.apache.zookeeper.server.quorum.QuorumPeerMain '{Path.Combine(DataDir, "zoo.cfg")}' > '{Path.Combine(DataDir, "server.log")}' 2>&1\n");
        var info = new ProcessStartInfo("/bin/sh") { UseShellExecute = false };
        info.ArgumentList.Add(script);
        return info;
    }
}

/// <summary>Finds the jars of Debian's zookeeper package and what they need at run time.</summary>
internal static class JavaClassPath
{
    private static readonly string[] Folders = ["/usr/share/java", "/usr/share/zookeeper/lib", "/usr/share/zookeeper"];

    private static readonly string[] Jars =
    [
        "zookeeper.jar", "zookeeper-jute.jar", "netty-handler.jar", "netty-transport.jar", "netty-common.jar",
        "netty-buffer.jar", "netty-codec.jar", "netty-resolver.jar", "netty-transport-native-unix-common.jar",
        "netty-transport-native-epoll.jar", "slf4j-api.jar", "slf4j-simple.jar", "metrics-core.jar",
        "snappy-java.jar", "commons-cli.jar",
    ];

    public static readonly Lazy<string> Value = new(Find);

    private static string Find()
    {
        var found = Jars.Select(jar => Folders.Select(f => Path.Combine(f, jar)).FirstOrDefault(File.Exists)).ToList();
        if (found[0] is null)
        {
            throw new InvalidOperationException(
                "ZooKeeper's jars were not found under /usr/share/java. Install them with `apt-get install zookeeper` (Debian), "
                + "or set ZOOKEEPER_CONNECT=host:port to use a running server.");
        }

        return string.Join(':', found.Where(path => path is not null));
    }
}

/// <summary>ZooKeeper's four-letter words over a short-lived TCP connection.</summary>
public static class FourLetterWord
{
    /// <summary>Sends <paramref name="word"/> (such as ruok or srvr) and returns the answer, or null when the port does not answer.</summary>
    public static string? Ask(int port, string word)
    {
        try
        {
            using var client = new TcpClient();
            client.ReceiveTimeout = client.SendTimeout = 1000;
            client.Connect(IPAddress.Loopback, port);
            var stream = client.GetStream();
            stream.Write(Encoding.ASCII.GetBytes(word));
            using var reader = new StreamReader(stream, Encoding.ASCII);
            return reader.ReadToEnd();
        }
        catch (Exception e) when (e is SocketException or IOException)
        {
            return null;
        }
    }

    /// <summary>True when something accepts connections on the port.</summary>
    public static bool Accepts(int port)
    {
        try
        {
            using var client = new TcpClient();
            client.Connect(IPAddress.Loopback, port);
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}

/// <summary>
/// Free loopback ports, never the same twice in one test run, nor in two test runs on one machine at once: a port is
/// claimed by a file named for it under the temporary folder, holding the claiming process's id, and a claim whose
/// process is gone is taken over. Without that, a test that stopped its server to restart it could find the port
/// taken meanwhile by another run's new server, whose answer to ruok it took for its own, and its clients then
/// reconnected to a server that had never heard of their sessions (Expired), when two sessions' test runs shared
/// the machine.
/// </summary>
public static class FreePort
{
    internal static readonly string ClaimsFolder = Path.Combine(Path.GetTempPath(), "partitioner-test-ports");

    // Below Linux's ephemeral range (32768-60999 by default), so that no outgoing connection of any
    // process takes a stopped server's port as its local port before the server starts again.
    private const int RangeStart = 20_000;
    private const int RangeLength = 12_000;

    private static readonly HashSet<int> Given = [];

    // Each test process starts at its own place in the range, so that two runs on one machine rarely meet.
    private static int NextOffset = Environment.ProcessId * 97 % RangeLength;

    /// <summary>A port nothing listens on now and that this run has not handed out before.</summary>
    public static int Next()
    {
        lock (Given)
        {
            for (int tries = 0; tries < RangeLength; tries++)
            {
                int port = RangeStart + (NextOffset++ % RangeLength);
                if (!Given.Contains(port) && IsFree(port) && Claim(port))
                {
                    Given.Add(port);
                    return port;
                }
            }
        }

        throw new InvalidOperationException($"no free loopback port in {RangeStart}-{RangeStart + RangeLength - 1}");
    }

    /// <summary>Claims <paramref name="port"/> for this process, machine-wide; false when a live process holds it.</summary>
    internal static bool Claim(int port)
    {
        Directory.CreateDirectory(ClaimsFolder);
        var file = Path.Combine(ClaimsFolder, port.ToString(CultureInfo.InvariantCulture));
        for (int attempt = 0; attempt < 2; attempt++)
        {
            try
            {
                using var claim = new FileStream(file, FileMode.CreateNew, FileAccess.Write);
                claim.Write(Encoding.ASCII.GetBytes(Environment.ProcessId.ToString(CultureInfo.InvariantCulture)));
                return true;
            }
            catch (IOException) when (File.Exists(file))
            {
                if (HolderAlive(file))
                {
                    return false;
                }

                // Left by a run that has ended: take it over.
                File.Delete(file);
            }
        }

        return false;
    }

    private static bool HolderAlive(string file)
    {
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (IOException)
        {
            // Being written by its claimer right now.
            return true;
        }

        if (!int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int pid))
        {
            // Created but not yet written.
            return true;
        }

        try
        {
            using var holder = Process.GetProcessById(pid);
            return !holder.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    private static bool IsFree(int port)
    {
        try
        {
            var listener = new TcpListener(IPAddress.Loopback, port);
            listener.Start();
            listener.Stop();
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
