using System.Diagnostics;
using Partitioner.Integration.Partitioner;

namespace Partitioner.Integration.CommandLine;

/// <summary>What one run of the `partitioner` command printed and how it ended.</summary>
internal sealed record CliRun(int ExitCode, string Output, string Errors)
{
    /// <summary>The lines written to stderr, without blank ones.</summary>
    public string[] ErrorLines => Errors.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    public override string ToString() => $"exit {ExitCode}\nstdout:\n{Output}\nstderr:\n{Errors}";
}

/// <summary>Runs the `partitioner` command built with the tests, as a separate process, bounded in time.</summary>
internal static class CliProcess
{
    public static async Task<CliRun> Run(IEnumerable<string> arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null, string? standardInput = null)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = standardInput is not null,
        };
        start.ArgumentList.Add(WorkerProcess.CliPath());
        foreach (var argument in arguments)
        {
            start.ArgumentList.Add(argument);
        }

        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            start.Environment[name] = value;
        }

        using var process = Process.Start(start)!;
        if (standardInput is not null)
        {
            await process.StandardInput.WriteAsync(standardInput);
            process.StandardInput.Close();
        }

        var output = process.StandardOutput.ReadToEndAsync();
        var errors = process.StandardError.ReadToEndAsync();
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"partitioner {string.Join(' ', arguments)} did not finish within {timeout}");
        }

        return new CliRun(process.ExitCode, await output, await errors);
    }
}
