using System.Collections.Immutable;
using System.Globalization;

namespace Partitioner.Integration.Partitioner;

/// <summary>Starts <c>partitioner worker</c> (built with the tests) as a member process.</summary>
internal static class WorkerProcess
{
    public static ChildProcess Start(
        string connectString, string path, ImmutableArray<string> items, string identifier, string prefix, TimeSpan sessionTimeout, params string[] more) =>
        ChildProcess.Start(
            identifier,
            "dotnet",
            [
                CliPath(),
                "worker",
                "--connect", connectString,
                "--path", path,
                "--items", string.Join(',', items),
                "--identifier", identifier,
                "--prefix", prefix,
                "--time-boundary", "0.2",
                "--session-timeout", sessionTimeout.TotalSeconds.ToString(CultureInfo.InvariantCulture),
                .. more,
            ]);

    /// <summary>The CLI built in the same configuration as these tests.</summary>
    internal static string CliPath()
    {
        var configuration = AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
            ? "Release"
            : "Debug";
        return ChildProcess.SourceFile(Path.Combine("src", "Partitioner.Cli", "bin", configuration, "net10.0", "partitioner.dll"));
    }
}
