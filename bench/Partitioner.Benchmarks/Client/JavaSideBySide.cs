using System.Diagnostics;
using System.Globalization;
using System.Runtime.CompilerServices;
using Partitioner.Integration.Infrastructure;

namespace Partitioner.Benchmarks.Client;

/// <summary>
/// Compiles and runs java/JavaClientBench.java (the same scenarios with ZooKeeper's own Java client) against
/// the same server, so the README's comparison is measured in the same run rather than quoted.
/// </summary>
internal static class JavaSideBySide
{
    /// <summary>The Java client's timings (ms) per scenario, in scenario order; empty (with a note on stderr) when javac or the jars are missing.</summary>
    public static IReadOnlyList<(string Name, List<double> Timings)> Run(string connectString, int count, int repetitions) =>
        Run(connectString, count, repetitions, []);

    /// <summary>Only the partitioner benchmark's floor (see FloorBench) with the Java client: <paramref name="items"/> items' creates, timed each repetition (ms).</summary>
    public static List<double>? RunFloor(string connectString, int items, int repetitions) =>
        Run(connectString, items, repetitions, ["floor"]) is [var (_, timings)] ? timings : null;

    private static IReadOnlyList<(string Name, List<double> Timings)> Run(string connectString, int count, int repetitions, string[] extra)
    {
        var source = Path.Combine(SourceFolder(), "java", "JavaClientBench.java");
        if (!File.Exists(source) || !File.Exists("/usr/bin/javac"))
        {
            Console.Error.WriteLine($"Skipping the Java side: {(File.Exists(source) ? "javac is not installed (apt-get install default-jdk-headless)" : $"{source} is missing")}.");
            return [];
        }

        var classes = Directory.CreateTempSubdirectory("zk-java-bench-").FullName;
        try
        {
            var classPath = JavaClassPath.Value.Value;
            RunProcess("/usr/bin/javac", ["-cp", classPath, "-d", classes, source]);
            var output = RunProcess("/usr/bin/java", ["-cp", $"{classes}:{classPath}", "JavaClientBench", connectString,
                count.ToString(CultureInfo.InvariantCulture), repetitions.ToString(CultureInfo.InvariantCulture), .. extra]);
            return [.. output.Split('\n').Where(l => l.StartsWith("RESULT\t", StringComparison.Ordinal)).Select(Parse)];
        }
        finally
        {
            Directory.Delete(classes, recursive: true);
        }
    }

    private static (string Name, List<double> Timings) Parse(string line)
    {
        var fields = line.Split('\t');
        return (fields[1], [.. fields[3].Split(',').Select(t => double.Parse(t, CultureInfo.InvariantCulture))]);
    }

    private static string RunProcess(string file, IEnumerable<string> arguments)
    {
        var info = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{file} did not start");
        var stderr = process.StandardError.ReadToEndAsync();
        var stdout = process.StandardOutput.ReadToEnd();
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            throw new InvalidOperationException($"{file} exited with {process.ExitCode}: {stderr.Result}");
        }

        return stdout;
    }

    private static string SourceFolder([CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}
