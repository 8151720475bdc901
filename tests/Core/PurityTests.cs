using System.Runtime.CompilerServices;
using System.Reflection.Metadata;
using System.Reflection.PortableExecutable;
using System.Xml.Linq;
using Partitioner.Core;

namespace Partitioner.Tests.Core;

/// <summary>
/// Core stays pure: it depends on nothing but the framework, and its compiled code touches no clock,
/// randomness, thread, task, I/O or per-process hash. The banned-API analyzer stops these at build time;
/// these tests check the result independently, from the project file and the assembly's metadata.
/// </summary>
public sealed class PurityTests
{
    private static readonly string[] BannedTypes =
    [
        "System.Random", "System.Diagnostics.Stopwatch", "System.TimeProvider",
        "System.Threading.Thread", "System.Threading.ThreadPool", "System.Threading.Timer",
        "System.Threading.Tasks.Task", "System.Threading.Tasks.Task`1", "System.Threading.Tasks.Parallel",
        "System.IO.File", "System.IO.Directory", "System.IO.Stream", "System.Console",
        "System.Net.Sockets.Socket", "System.Security.Cryptography.RandomNumberGenerator",
    ];

    private static readonly (string Type, string Member)[] BannedMembers =
    [
        ("System.DateTime", "get_Now"), ("System.DateTime", "get_UtcNow"), ("System.DateTime", "get_Today"),
        ("System.DateTimeOffset", "get_Now"), ("System.DateTimeOffset", "get_UtcNow"),
        ("System.Environment", "get_TickCount"), ("System.Environment", "get_TickCount64"),
        ("System.Guid", "NewGuid"), ("System.String", "GetHashCode"), ("System.Object", "GetHashCode"),
        ("System.String", "CompareTo"), ("System.String", "ToLower"), ("System.String", "ToUpper"),
        ("System.StringComparer", "get_CurrentCulture"), ("System.StringComparer", "get_InvariantCulture"),
        ("System.Globalization.CultureInfo", "get_CurrentCulture"),
    ];

    [Fact]
    public void CoreProject_HasNoProjectReferenceAndOnlyTheAnalyzerPackage()
    {
        var project = XDocument.Load(Path.Combine(RepositoryRoot(), "src", "Partitioner.Core", "Partitioner.Core.csproj"));

        Assert.Empty(project.Descendants("ProjectReference"));
        var packages = project.Descendants("PackageReference").Select(p => (string?)p.Attribute("Include")).ToList();
        Assert.Equal(["Microsoft.CodeAnalysis.BannedApiAnalyzers"], packages);
        Assert.Contains(project.Descendants("AdditionalFiles"), f => (string?)f.Attribute("Include") == "BannedSymbols.txt");
    }

    [Fact]
    public void CoreAssembly_ReferencesOnlyFrameworkAssemblies()
    {
        var references = typeof(Decider).Assembly.GetReferencedAssemblies().Select(a => a.Name!).ToList();

        Assert.NotEmpty(references);
        Assert.All(references, name => Assert.True(
            name.StartsWith("System", StringComparison.Ordinal) || name is "netstandard" or "mscorlib",
            $"Core references {name}"));
    }

    [Fact]
    public void CoreAssembly_UsesNoBannedTypeOrMember()
    {
        using var file = File.OpenRead(typeof(Decider).Assembly.Location);
        using var pe = new PEReader(file);
        var metadata = pe.GetMetadataReader();

        var typeNames = metadata.TypeReferences.Select(h => FullName(metadata, metadata.GetTypeReference(h))).ToHashSet(StringComparer.Ordinal);
        var members = metadata.MemberReferences
            .Select(h => metadata.GetMemberReference(h))
            .Where(m => m.Parent.Kind == HandleKind.TypeReference)
            .Select(m => (FullName(metadata, metadata.GetTypeReference((TypeReferenceHandle)m.Parent)), metadata.GetString(m.Name)))
            .ToHashSet();

        Assert.Contains("System.String", typeNames);
        var usedTypes = BannedTypes.Where(typeNames.Contains).ToList();
        var usedMembers = BannedMembers.Where(members.Contains).ToList();
        Assert.Empty(usedTypes);
        Assert.Empty(usedMembers);
    }

    [Fact]
    public void BannedSymbols_ListsClockRandomnessThreadsIoAndHashes()
    {
        var banned = File.ReadAllLines(Path.Combine(RepositoryRoot(), "src", "Partitioner.Core", "BannedSymbols.txt"))
            .Select(line => line.Split(';')[0])
            .ToHashSet(StringComparer.Ordinal);

        string[] required =
        [
            "P:System.DateTime.UtcNow", "T:System.Random", "M:System.Guid.NewGuid", "T:System.Threading.Thread",
            "T:System.Threading.Tasks.Task", "T:System.IO.File", "M:System.String.GetHashCode", "T:System.TimeProvider",
        ];
        var missing = required.Where(symbol => !banned.Contains(symbol)).ToList();
        Assert.Empty(missing);
    }

    private static string FullName(MetadataReader metadata, TypeReference type)
    {
        string name = metadata.GetString(type.Name);
        return type.ResolutionScope.Kind == HandleKind.TypeReference
            ? FullName(metadata, metadata.GetTypeReference((TypeReferenceHandle)type.ResolutionScope)) + "+" + name
            : metadata.GetString(type.Namespace) + "." + name;
    }

    private static string RepositoryRoot([CallerFilePath] string sourceFile = "")
    {
        // Walk up from the test binaries, then from this source file (the binaries may be built elsewhere).
        foreach (string start in new[] { AppContext.BaseDirectory, Path.GetDirectoryName(sourceFile) ?? "" })
        {
            for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            {
                if (File.Exists(Path.Combine(dir.FullName, "Partitioner.sln")))
                {
                    return dir.FullName;
                }
            }
        }

        throw new InvalidOperationException("Partitioner.sln not found above " + AppContext.BaseDirectory + " or " + sourceFile);
    }
}
