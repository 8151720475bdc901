using System.Text.RegularExpressions;
using System.Xml.Linq;

namespace Partitioner.Integration.Packaging;

/// <summary>Files of this repository as the tests need them: its root, the README's marked samples, the package version.</summary>
internal static partial class RepositoryFiles
{
    /// <summary>The folder that holds Partitioner.sln, found by walking up from the test assembly.</summary>
    public static string Root { get; } = FindRoot();

    /// <summary>The build configuration these tests were built in, which the sample and the packs use too.</summary>
    public static string Configuration { get; } =
        AppContext.BaseDirectory.Contains($"{Path.DirectorySeparatorChar}Release{Path.DirectorySeparatorChar}", StringComparison.Ordinal) ? "Release" : "Debug";

    /// <summary>The one version of every package, from Directory.Build.props.</summary>
    public static string Version { get; } =
        XDocument.Load(Path.Combine(FindRoot(), "Directory.Build.props")).Descendants("Version").Single().Value;

    /// <summary>
    /// The code block that follows <c>&lt;!-- sample: NAME --&gt;</c> in README.md, so that what a test builds is what
    /// the README shows.
    /// </summary>
    public static string ReadmeSample(string name)
    {
        var readme = File.ReadAllText(Path.Combine(Root, "README.md"));
        var marker = $"<!-- sample: {name} -->";
        var at = readme.IndexOf(marker, StringComparison.Ordinal);
        Assert.True(at >= 0, $"README.md has no '{marker}'.");
        var block = CodeBlock().Match(readme, at + marker.Length);
        Assert.True(block.Success, $"README.md has no code block after '{marker}'.");
        return block.Groups["code"].Value;
    }

    [GeneratedRegex(@"\G\s*```\w*\n(?<code>.*?)```", RegexOptions.Singleline)]
    private static partial Regex CodeBlock();

    private static string FindRoot()
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            if (File.Exists(Path.Combine(dir.FullName, "Partitioner.sln")))
            {
                return dir.FullName;
            }
        }

        throw new DirectoryNotFoundException($"No Partitioner.sln above {AppContext.BaseDirectory}.");
    }
}
