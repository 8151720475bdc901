using System.CommandLine;

namespace Partitioner.Cli.Input;

/// <summary>
/// Parses and runs a command so that every bad argument or input ends the same way: one line on stderr,
/// <c>partitioner &lt;command&gt;: &lt;what is wrong, naming the value&gt;</c>, and exit code
/// <see cref="ExitCodes.BadInput"/>. Anything else unexpected is one line too, with exit code <see cref="ExitCodes.Crash"/>.
/// </summary>
internal static class CommandLineRunner
{
    public static int Run(RootCommand root, string[] args)
    {
        var parse = root.Parse(args);
        var name = parse.CommandResult.Command == root ? "partitioner" : $"partitioner {parse.CommandResult.Command.Name}";
        if (parse.Errors.Count > 0)
        {
            // An unknown word names what was typed, so it is the more useful line when there are several.
            var error = parse.Errors.FirstOrDefault(e => e.Message.StartsWith("Unrecognized", StringComparison.Ordinal)) ?? parse.Errors[0];
            Console.Error.WriteLine($"{name}: {error.Message} (see {name} --help)");
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
}
