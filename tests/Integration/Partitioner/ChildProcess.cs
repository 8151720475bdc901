using System.Diagnostics;
using System.Text.Json;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// A member running in its own process (a kazoo driver, or <c>partitioner worker</c>) that prints one JSON
/// object per line: keeps every line, lets a test wait for one, sends it commands on stdin, and can be
/// stopped (SIGSTOP), resumed or killed. Dispose kills it, so a failing test leaves no process behind.
/// </summary>
internal sealed class ChildProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<JsonElement> _lines = [];
    private readonly List<string> _errors = [];

    private ChildProcess(string name, ProcessStartInfo start)
    {
        Name = name;
        start.RedirectStandardInput = true;
        start.RedirectStandardOutput = true;
        start.RedirectStandardError = true;
        start.UseShellExecute = false;
        _process = new Process { StartInfo = start, EnableRaisingEvents = true };
        _process.OutputDataReceived += (_, e) => Receive(e.Data);
        _process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                lock (_errors)
                {
                    _errors.Add(e.Data);
                }
            }
        };
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    /// <summary>The name the test gave the member, used in failure messages.</summary>
    public string Name { get; }

    /// <summary>The process id, for signals.</summary>
    public int Id => _process.Id;

    public bool HasExited => _process.HasExited;

    /// <summary>The JSON lines received so far, in order.</summary>
    public IReadOnlyList<JsonElement> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    /// <summary>The last <c>{"event":"state"}</c> line's state, or null.</summary>
    public string? LastState => LastOf("state")?.GetProperty("state").GetString();

    /// <summary>The items of the last state line.</summary>
    public IReadOnlyList<string> LastItems =>
        LastOf("state") is { } line ? [.. line.GetProperty("items").EnumerateArray().Select(i => i.GetString()!)] : [];

    /// <summary>The items of the last <c>{"event":"ownership"}</c> line (what the member may act on now), or none.</summary>
    public IReadOnlyList<string> LastOwnedItems =>
        LastOf("ownership") is { } line ? [.. line.GetProperty("items").EnumerateArray().Select(i => i.GetString()!)] : [];

    public static ChildProcess Start(string name, string fileName, params string[] arguments) =>
        Start(name, new Dictionary<string, string>(), fileName, arguments);

    /// <summary>Starts a child with extra environment variables (how secrets reach it: never on its command line).</summary>
    public static ChildProcess Start(string name, IReadOnlyDictionary<string, string> environment, string fileName, params string[] arguments)
    {
        var start = new ProcessStartInfo(fileName);
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (key, value) in environment)
        {
            start.Environment[key] = value;
        }

        return new ChildProcess(name, start);
    }

    /// <summary>A file of the test tree, found by walking up from the test assembly's folder.</summary>
    /// <summary>
    /// A kazoo <c>SetPartitioner</c> member in its own Python process (tests/Integration/Kazoo/kazoo_member.py) on
    /// <paramref name="path"/> of the server at <paramref name="connectString"/>, with a 0.2 s time boundary; the
    /// options of <paramref name="extra"/> follow, and <paramref name="environment"/> holds what must not go on its
    /// command line.
    /// </summary>
    public static ChildProcess StartKazooMember(
        string connectString, string path, IEnumerable<string> items, string identifier,
        IReadOnlyDictionary<string, string>? environment = null, params string[] extra) =>
        Start(
            identifier,
            environment ?? new Dictionary<string, string>(),
            "/usr/bin/python3",
            [
                SourceFile("tests/Integration/Kazoo/kazoo_member.py"),
                "--hosts", connectString,
                "--path", path,
                "--items", JsonSerializer.Serialize(items),
                "--identifier", identifier,
                "--time-boundary", "0.2",
                .. extra,
            ]);

    public static string SourceFile(string relative)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var candidate = Path.Combine(dir.FullName, relative);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{relative} was not found above {AppContext.BaseDirectory}.", relative);
    }

    public void Send(string command)
    {
        _process.StandardInput.WriteLine(command);
        _process.StandardInput.Flush();
    }

    /// <summary>Waits for a line (any received so far counts) that satisfies <paramref name="match"/>.</summary>
    public async Task<JsonElement> WaitForLine(Func<JsonElement, bool> match, string what, TimeSpan? within = null)
    {
        JsonElement found = default;
        await PartitionerTestKit.Eventually(
            () =>
            {
                var hit = Lines.Where(match).Take(1).ToList();
                if (hit.Count == 1)
                {
                    found = hit[0];
                    return true;
                }

                return false;
            },
            $"{Name}: {what} (stderr: {StandardErrorTail()})",
            within);
        return found;
    }

    /// <summary>
    /// Waits until the process has exited by itself, and until its output has been read to the end: HasExited turns true
    /// as soon as the process is gone, while the lines it wrote last may still be on their way through the pipe, so a
    /// caller that read <see cref="Lines"/> right away could miss them (a worker's last state and exit lines).
    /// </summary>
    public async Task WaitForExit(string what)
    {
        await PartitionerTestKit.Eventually(() => _process.HasExited, $"{Name}: {what}");

        // Without a timeout, WaitForExit also waits for the asynchronously read streams to reach their end.
        _process.WaitForExit();
    }

    public void Pause() => Signal("STOP");

    public void Resume() => Signal("CONT");

    /// <summary>Kills the process at once, without letting it close its session.</summary>
    public void Kill()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
            _process.WaitForExit(5000);
        }
    }

    /// <summary>Everything written to stderr so far (all of it, once the process has exited).</summary>
    public string StandardError()
    {
        if (_process.HasExited)
        {
            // Waiting without a timeout also waits for the redirected streams to be read to their end.
            _process.WaitForExit();
        }

        lock (_errors)
        {
            return string.Join("\n", _errors);
        }
    }

    /// <summary>The exit code, once the process has exited.</summary>
    public int ExitCode => _process.ExitCode;

    public string StandardErrorTail()
    {
        lock (_errors)
        {
            return string.Join(" | ", _errors.TakeLast(5));
        }
    }

    public void Dispose()
    {
        try
        {
            Resume();
            Kill();
        }
        catch (InvalidOperationException)
        {
            // The process never started or is already gone.
        }

        _process.Dispose();
    }

    private JsonElement? LastOf(string eventName)
    {
        lock (_lines)
        {
            for (var i = _lines.Count - 1; i >= 0; i--)
            {
                if (_lines[i].TryGetProperty("event", out var e) && e.GetString() == eventName)
                {
                    return _lines[i];
                }
            }
        }

        return null;
    }

    private void Receive(string? line)
    {
        if (string.IsNullOrWhiteSpace(line) || line[0] != '{')
        {
            return;
        }

        var element = JsonDocument.Parse(line).RootElement.Clone();
        lock (_lines)
        {
            _lines.Add(element);
        }
    }

    /// <summary>Sends a signal with the system's kill command and waits for it to be sent.</summary>
    private void Signal(string signal)
    {
        if (_process.HasExited)
        {
            return;
        }

        using var kill = Process.Start("/bin/kill", ["-" + signal, _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
        if (kill.ExitCode != 0 && !_process.HasExited)
        {
            throw new InvalidOperationException($"kill -{signal} {_process.Id} failed with exit code {kill.ExitCode}");
        }
    }
}
