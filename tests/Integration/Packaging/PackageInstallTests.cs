using System.IO.Compression;
using System.Xml.Linq;
using Partitioner.Integration.Infrastructure;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Packaging;

/// <summary>
/// What a new user does with the packages the test command packed into <c>artifacts/packages</c>: a fresh console
/// project, <c>dotnet add package</c>, the README's sample built and run against the real server; and the tool
/// installed with <c>dotnet tool install</c>. Third-party packages come through the machine's NuGet source into a
/// cache under <c>artifacts/nuget-cache</c> that later runs reuse; this repository's packages are always taken
/// fresh from the local folder.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class PackageInstallTests(ZooKeeperServerFixture server) : IDisposable
{
    private static readonly string[] LibraryIds = ["Partitioner.Core", "Partitioner.ZooKeeper", "ZooKeeper.Client", "Partitioner.Hosting"];
    private static readonly string ToolId = "partitioner";
    private static readonly TimeSpan StepMax = TimeSpan.FromMinutes(3);

    // A process of its own (start-up, JIT, a session, Ctrl+C and the release of its nodes) runs at the machine's load:
    // 20 s was once too short for the README sample's shutdown at a load average of 46, where it passed alone.
    private static readonly TimeSpan ProcessMax = TimeSpan.FromSeconds(90);
    private static readonly SemaphoreSlim PackOnce = new(1, 1);

    private readonly DirectoryInfo _temp = Directory.CreateTempSubdirectory("partitioner-newuser-");

    private static string Packages => Path.Combine(RepositoryFiles.Root, "artifacts", "packages");

    private static string Cache => Path.Combine(RepositoryFiles.Root, "artifacts", "nuget-cache");

    [Fact]
    public async Task EveryPackage_CarriesItsIdLicenceRepositoryReadmeXmlDocsAndSourceLink_AtTheOneVersion()
    {
        await EnsurePacked();
        foreach (var id in LibraryIds)
        {
            using var package = ZipFile.OpenRead(PackageFile(id));
            var nuspec = Nuspec(package);
            var ns = nuspec.Root!.GetDefaultNamespace();
            var metadata = nuspec.Root.Element(ns + "metadata")!;
            Assert.Equal(id, metadata.Element(ns + "id")!.Value);
            Assert.Equal(RepositoryFiles.Version, metadata.Element(ns + "version")!.Value);
            Assert.Equal("MIT", metadata.Element(ns + "license")!.Value);
            Assert.Equal("README.md", metadata.Element(ns + "readme")!.Value);
            Assert.False(string.IsNullOrWhiteSpace(metadata.Element(ns + "description")!.Value));
            Assert.Contains("zookeeper", metadata.Element(ns + "tags")!.Value, StringComparison.Ordinal);
            var repository = metadata.Element(ns + "repository")!;
            Assert.StartsWith("https://", repository.Attribute("url")!.Value, StringComparison.Ordinal);
            Assert.Matches("^[0-9a-f]{40}$", repository.Attribute("commit")!.Value);
            Assert.NotNull(package.GetEntry("README.md"));
            Assert.NotNull(package.GetEntry($"lib/net10.0/{id}.dll"));
            Assert.NotNull(package.GetEntry($"lib/net10.0/{id}.xml"));

            // Source Link: the symbol package's PDB maps the sources to the repository at the packed commit.
            using var symbols = ZipFile.OpenRead(Path.ChangeExtension(PackageFile(id), ".snupkg"));
            using var pdb = new MemoryStream();
            using (var stream = symbols.GetEntry($"lib/net10.0/{id}.pdb")!.Open())
            {
                stream.CopyTo(pdb);
            }

            var sourceLink = $"/{repository.Attribute("commit")!.Value}/*\"}}";
            Assert.Contains(sourceLink, System.Text.Encoding.UTF8.GetString(pdb.ToArray()), StringComparison.Ordinal);
        }

        using var tool = ZipFile.OpenRead(PackageFile(ToolId));
        var toolNuspec = Nuspec(tool);
        Assert.Contains(toolNuspec.Descendants(), e => e.Name.LocalName == "packageType" && e.Attribute("name")?.Value == "DotnetTool");
    }

    [Fact]
    public async Task NewConsoleProject_AddsThePackageFromTheFolder_AndRunsTheReadmeSampleAgainstTheServer()
    {
        await EnsurePacked();
        WriteNuGetConfig();
        var demo = Path.Combine(_temp.FullName, "demo");
        await TextProcess.Run("dotnet", ["new", "console", "-o", demo, "--no-restore"], _temp.FullName, StepMax);
        await TextProcess.Run("dotnet", ["add", "package", "Partitioner.ZooKeeper", "--version", RepositoryFiles.Version], demo, StepMax);
        await File.WriteAllTextAsync(Path.Combine(demo, "Program.cs"), RepositoryFiles.ReadmeSample("console"));
        await TextProcess.Run("dotnet", ["build", "-c", "Release", "-nologo", "-v", "quiet"], demo, StepMax);

        // The sample's path is fixed (/myapp/partitioner); no other test uses it.
        await using var observer = await Connect(server.ConnectString);
        using var sample = TextProcess.Start(
            "dotnet", [Path.Combine(demo, "bin", "Release", "net10.0", "demo.dll")], demo,
            new Dictionary<string, string> { ["ZOOKEEPER_CONNECT"] = server.ConnectString });
        // The README's sample prints each item with its fencing token: the one member works on all four.
        await sample.WaitForLine("working on: queue-a (fencing token ", ProcessMax);
        var working = sample.Lines.First(l => l.Contains("working on: ", StringComparison.Ordinal));
        Assert.Matches(@"^working on: queue-a \(fencing token \d+\), queue-b \(fencing token \d+\), queue-c \(fencing token \d+\), queue-d \(fencing token \d+\)$", working);
        Assert.Single(await observer.GetChildrenAsync("/myapp/partitioner/party"));

        sample.Signal("INT");
        Assert.Equal(0, await sample.WaitForExit(ProcessMax));
        Assert.Contains(sample.Lines, l => l.Contains("stopped working on them", StringComparison.Ordinal));
        Assert.Empty(await observer.GetChildrenAsync("/myapp/partitioner/party"));
    }

    [Fact]
    public async Task Tool_InstallsFromTheFolder_PrintsItsVersion_AndSimulatesSeedOne()
    {
        await EnsurePacked();
        var config = WriteToolNuGetConfig();
        var tools = Path.Combine(_temp.FullName, "tools");
        await TextProcess.Run(
            "dotnet",
            ["tool", "install", "--tool-path", tools, "--add-source", Packages, "--configfile", config, ToolId, "--version", RepositoryFiles.Version],
            _temp.FullName,
            StepMax);
        var partitioner = Path.Combine(tools, "partitioner");

        var version = await TextProcess.Run(partitioner, ["--version"], _temp.FullName, ProcessMax);
        Assert.StartsWith(RepositoryFiles.Version + "+", version.Trim(), StringComparison.Ordinal); // the version, then the commit

        var simulation = await TextProcess.Run(partitioner, ["simulate", "--seed", "1"], _temp.FullName, ProcessMax);
        Assert.Contains("result: PASSED (exit code 0)", simulation, StringComparison.Ordinal);
    }

    public void Dispose()
    {
        try
        {
            _temp.Delete(recursive: true);
        }
        catch (IOException)
        {
            // A file still held open; the folder is under the temporary folder and harmless.
        }
    }

    /// <summary>True when the package exists and is newer than the assembly it packs, as built with these tests.</summary>
    private static bool IsFresh(string id)
    {
        var (project, assembly) = id == ToolId ? ("Partitioner.Cli", "partitioner") : (id, id);
        var built = Path.Combine(RepositoryFiles.Root, "src", project, "bin", RepositoryFiles.Configuration, "net10.0", assembly + ".dll");
        var package = PackageFile(id);
        return File.Exists(package) && File.GetLastWriteTimeUtc(package) >= File.GetLastWriteTimeUtc(built);
    }

    private static string PackageFile(string id) => Path.Combine(Packages, $"{id}.{RepositoryFiles.Version}.nupkg");

    private static XDocument Nuspec(ZipArchive package)
    {
        using var stream = package.Entries.Single(e => e.FullName.EndsWith(".nuspec", StringComparison.Ordinal)).Open();
        return XDocument.Load(stream);
    }

    /// <summary>
    /// Packs the solution's packable projects into artifacts/packages, from the build these tests come from, when
    /// a package is missing or older than its assembly (a filtered `dotnet test` run after a change; the test command packs first). Either way this repository's packages are then
    /// removed from the cache, so that a restore takes the fresh ones and never an older pack of the same version.
    /// </summary>
    private static async Task EnsurePacked()
    {
        await PackOnce.WaitAsync();
        try
        {
            if (!LibraryIds.Append(ToolId).All(IsFresh))
            {
                await TextProcess.Run(
                    "dotnet", ["pack", "Partitioner.sln", "-c", RepositoryFiles.Configuration, "--no-build", "-nologo", "-v", "quiet", "-o", Packages],
                    RepositoryFiles.Root, StepMax);
            }

            foreach (var id in LibraryIds.Append(ToolId))
            {
                var cached = Path.Combine(Cache, id.ToLowerInvariant(), RepositoryFiles.Version);
                if (Directory.Exists(cached))
                {
                    Directory.Delete(cached, recursive: true);
                }
            }
        }
        finally
        {
            PackOnce.Release();
        }
    }

    /// <summary>
    /// A nuget.config above the user's project: the local folder for this repository's packages (package source
    /// mapping, so that a package of the same name elsewhere is never taken), the machine's nuget.org source for the
    /// rest, and the shared cache.
    /// </summary>
    /// <summary>
    /// The tool needs no other package, and `--add-source` cannot be combined with source mapping, so its
    /// configuration has no source at all: the tool comes only from the folder given with `--add-source`.
    /// </summary>
    private string WriteToolNuGetConfig()
    {
        var path = Path.Combine(_temp.FullName, "tool.nuget.config");
        new XDocument(
            new XElement("configuration",
                new XElement("config", new XElement("add", new XAttribute("key", "globalPackagesFolder"), new XAttribute("value", Cache))),
                new XElement("packageSources", new XElement("clear")))).Save(path);
        return path;
    }

    private void WriteNuGetConfig()
    {
        var config = new XDocument(
            new XElement("configuration",
                new XElement("config", new XElement("add", new XAttribute("key", "globalPackagesFolder"), new XAttribute("value", Cache))),
                new XElement("packageSources", new XElement("add", new XAttribute("key", "partitioner-local"), new XAttribute("value", Packages))),
                new XElement("packageSourceMapping",
                    new XElement("packageSource", new XAttribute("key", "partitioner-local"),
                        LibraryIds.Append(ToolId).Select(id => new XElement("package", new XAttribute("pattern", id)))),
                    new XElement("packageSource", new XAttribute("key", "nuget.org"),
                        new XElement("package", new XAttribute("pattern", "*"))))));
        config.Save(Path.Combine(_temp.FullName, "nuget.config"));
    }
}
