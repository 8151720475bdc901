using System.Diagnostics;
using System.Globalization;

namespace Partitioner.Integration.Packaging;

/// <summary>
/// A program run as a user runs it (dotnet build, a sample, an installed tool): keeps its stdout and stderr lines,
/// lets a test wait for one, send it a signal, and wait for its exit. Dispose kills it, so no process outlives a test.
/// </summary>
internal sealed class TextProcess : IDisposable
{
    private readonly Process _process;
    private readonly List<string> _lines = [];

    private TextProcess(string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment)
    {
        var start = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        // The test runs under `dotnet test`, whose MSBuild settings must not leak into the user's own builds.
        foreach (var key in start.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            start.Environment.Remove(key);
        }

        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        start.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        start.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        foreach (var (key, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[key] = value;
        }

        Command = $"{fileName} {string.Join(' ', arguments)}";
        _process = new Process { StartInfo = start };
        _process.OutputDataReceived += (_, e) => Add(e.Data);
        _process.ErrorDataReceived += (_, e) => Add(e.Data);
        _process.Start();
        _process.BeginOutputReadLine();
        _process.BeginErrorReadLine();
    }

    public string Command { get; }

    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public string Output => string.Join('\n', Lines);

    public static TextProcess Start(string fileName, IEnumerable<string> arguments, string workingDirectory, IReadOnlyDictionary<string, string>? environment = null) =>
        new(fileName, arguments, workingDirectory, environment);

    /// <summary>Runs to the end and fails, with the output, unless it exits 0 within <paramref name="within"/>.</summary>
    public static async Task<string> Run(string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan within, IReadOnlyDictionary<string, string>? environment = null)
    {
        using var process = Start(fileName, arguments, workingDirectory, environment);
        var code = await process.WaitForExit(within);
        Assert.True(code == 0, $"`{process.Command}` (in {workingDirectory}) exited with {code}:\n{process.Output}");
        return process.Output;
    }

    /// <summary>Waits for a line containing <paramref name="text"/>; fails with the output after <paramref name="within"/> or at an early exit.</summary>
    public async Task WaitForLine(string text, TimeSpan within)
    {
        var deadline = DateTime.UtcNow + within;
        while (!Lines.Any(l => l.Contains(text, StringComparison.Ordinal)))
        {
            if (DateTime.UtcNow > deadline || _process.HasExited)
            {
                await Task.Delay(100); // the last lines of an exited process may still be on their way
                Assert.Fail($"`{Command}` printed no line with \"{text}\" ({(_process.HasExited ? "it exited" : $"within {within}")}):\n{Output}");
            }

            await Task.Delay(50);
        }
    }

    /// <summary>Sends a signal (INT, TERM) with the system's kill command.</summary>
    public void Signal(string signal)
    {
        using var kill = Process.Start("/bin/kill", ["-" + signal, _process.Id.ToString(CultureInfo.InvariantCulture)]);
        kill.WaitForExit();
    }

    /// <summary>The exit code; fails with the output if the process is still running after <paramref name="within"/>.</summary>
    public async Task<int> WaitForExit(TimeSpan within)
    {
        using var timeout = new CancellationTokenSource(within);
        try
        {
            await _process.WaitForExitAsync(timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"`{Command}` was still running after {within}:\n{Output}");
        }

        return _process.ExitCode;
    }

    public void Dispose()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
                _process.WaitForExit(5000);
            }
        }
        catch (InvalidOperationException)
        {
            // Already gone.
        }

        _process.Dispose();
    }

    private void Add(string? line)
    {
        if (line is not null)
        {
            lock (_lines)
            {
                _lines.Add(line);
            }
        }
    }
}
