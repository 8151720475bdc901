using System.CommandLine;
using System.Collections.Immutable;

namespace Partitioner.Cli.Input;

/// <summary>
/// <c>--items a,b,c</c> or <c>--items-file FILE</c> (one item per line, blank lines skipped), for sets too large
/// for a command line. Items themselves are checked later, against ZooKeeper's rules, by the command's config.
/// </summary>
internal sealed class ItemOptions
{
    public ItemOptions(bool required)
    {
        Required = required;
        Items = new Option<string?>("--items") { Description = "The items, comma-separated (every member must be given the same ones)." };
        ItemsFile = new Option<string?>("--items-file") { Description = "A file with one item per line, instead of --items." };
    }

    public bool Required { get; }

    public Option<string?> Items { get; }

    public Option<string?> ItemsFile { get; }

    public void AddTo(Command command)
    {
        command.Options.Add(Items);
        command.Options.Add(ItemsFile);
    }

    /// <summary>The items given, or null when neither option was (and they are not required).</summary>
    /// <exception cref="BadInputException">Both or neither were given, or the file cannot be read.</exception>
    public ImmutableArray<string>? Read(ParseResult parse)
    {
        var list = parse.GetValue(Items);
        var file = parse.GetValue(ItemsFile);
        if (list is not null && file is not null)
        {
            throw new BadInputException("give --items or --items-file, not both");
        }

        if (list is not null)
        {
            return [.. list.Split(',', StringSplitOptions.RemoveEmptyEntries)];
        }

        if (file is not null)
        {
            return ReadFile(file);
        }

        return Required ? throw new BadInputException("the items are missing: give --items a,b,c or --items-file FILE") : null;
    }

    private static ImmutableArray<string> ReadFile(string file)
    {
        try
        {
            return [.. File.ReadLines(file).Select(line => line.TrimEnd('\r')).Where(line => line.Length > 0)];
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or ArgumentException or NotSupportedException)
        {
            throw new BadInputException($"--items-file '{file}' cannot be read: {e.Message}");
        }
    }
}
