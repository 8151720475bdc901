using Partitioner.Integration.Infrastructure;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Packaging;

/// <summary>The hosted worker of <c>samples/</c>, built with the tests, run as a process against the real server.</summary>
[Collection(SharedServerCollection.Name)]
public sealed class SampleWorkerTests(ZooKeeperServerFixture server)
{
    // A process of its own (start-up, JIT, a session, Ctrl+C and the release of its nodes) runs at the machine's load:
    // 20 s was once too short for the README sample's shutdown at a load average of 46, where it passed alone.
    private static readonly TimeSpan ProcessMax = TimeSpan.FromSeconds(90);

    private static readonly string SampleFolder = Path.Combine(RepositoryFiles.Root, "samples", "Partitioner.Samples.Worker");

    [Fact]
    public void Readme_ShowsTheSampleWorkerAsItIs()
    {
        Assert.Equal(File.ReadAllText(Path.Combine(SampleFolder, "Program.cs")), RepositoryFiles.ReadmeSample("hosting"));
        Assert.Equal(File.ReadAllText(Path.Combine(SampleFolder, "appsettings.json")), RepositoryFiles.ReadmeSample("hosting-settings"));
    }

    [Fact]
    public async Task SampleWorker_AcquiresEveryItem_ReportsHealthy_AndOnSigtermStopsTheWorkAndLeavesTheParty()
    {
        var path = server.UniqueRoot("sample-worker");
        var output = Path.Combine(SampleFolder, "bin", RepositoryFiles.Configuration, "net10.0");
        var environment = new Dictionary<string, string>
        {
            ["Partitioner__ConnectString"] = server.ConnectString,
            ["Partitioner__Path"] = path,
            ["Partitioner__TimeBoundary"] = "00:00:00.200",
        };
        await using var observer = await Connect(server.ConnectString);
        using var worker = TextProcess.Start("dotnet", [Path.Combine(output, "Partitioner.Samples.Worker.dll")], output, environment);

        await worker.WaitForLine("working on: queue-a, queue-b, queue-c, queue-d", ProcessMax);
        await worker.WaitForLine("health: Healthy (Acquired 4 items.)", ProcessMax);
        Assert.Single(await observer.GetChildrenAsync($"{path}/party"));

        worker.Signal("TERM");
        Assert.Equal(0, await worker.WaitForExit(ProcessMax));
        Assert.Contains(worker.Lines, l => l.Contains("stopped working on: queue-a, queue-b, queue-c, queue-d", StringComparison.Ordinal));
        Assert.Empty(await observer.GetChildrenAsync($"{path}/party"));
        Assert.Empty(await observer.GetChildrenAsync($"{path}/locks/queue-a"));
    }
}
