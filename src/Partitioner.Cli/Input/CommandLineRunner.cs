using System.CommandLine;
using System.Text.RegularExpressions;

namespace Partitioner.Cli.Input;

/// <summary>
/// Parses and runs a command so that every bad argument or input ends the same way: one line on stderr,
/// <c>partitioner &lt;command&gt;: &lt;what is wrong, naming the value&gt;</c>, and exit code
/// <see cref="ExitCodes.BadInput"/>. Anything else unexpected is one line too, with exit code <see cref="ExitCodes.Crash"/>.
/// </summary>
internal static partial class CommandLineRunner
{
    public static int Run(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        var name = parse.CommandResult.Command == root ? "partitioner" : $"partitioner {parse.CommandResult.Command.Name}";
        if (parse.Errors.Count > 0)
        {
            // An unknown word names what was typed, so it is the more useful line when there are several.
            var error = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
            Console.Error.WriteLine($"{name}: {Plain(error.Message)} (see {name} --help)");
            return ExitCodes.BadInput;
        }

        try
        {
            return parse.Invoke(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (BadInputException e)
        {
            Console.Error.WriteLine($"{name}: {e.Message}");
            return ExitCodes.BadInput;
        }
        catch (Exception e) when (e is not OutOfMemoryException)
        {
            // Not a bad input but a bug or an environment failure: the trace helps whoever reports it.
            Console.Error.WriteLine($"{name}: unexpected error: {e}");
            return ExitCodes.Crash;
        }
    }

    /// <summary>
    /// System.CommandLine words a value of the wrong type in .NET's terms ("as expected type
    /// 'System.Nullable`1[System.UInt64]'"); a user reads "--seed '-5' is not a whole number zero or more".
    /// </summary>
    internal static string Plain(string message)
    {
        var match = TypeMismatch().Match(message);
        if (!match.Success)
        {
            return message;
        }

        var expected = match.Groups["type"].Value switch
        {
            "System.Int32" or "System.Int64" or "System.Nullable`1[System.Int32]" or "System.Nullable`1[System.Int64]" => "a whole number",
            "System.UInt32" or "System.UInt64" or "System.Nullable`1[System.UInt32]" or "System.Nullable`1[System.UInt64]" => "a whole number zero or more",
            "System.Double" or "System.Nullable`1[System.Double]" => "a number",
            _ => null,
        };
        return expected is null ? message : $"{match.Groups["option"].Value} '{match.Groups["value"].Value}' is not {expected}";
    }

    [GeneratedRegex(@"^Cannot parse argument '(?<value>.*)' for option '(?<option>[^']+)' as expected type '(?<type>[^']+)'\.$")]
    private static partial Regex TypeMismatch();
}
