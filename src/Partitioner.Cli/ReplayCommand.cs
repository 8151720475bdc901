using System.CommandLine;
using Partitioner.Cli.Input;
using Partitioner.ZooKeeper;

namespace Partitioner.Cli;

/// <summary>
/// <c>partitioner replay &lt;log&gt;</c>: replays a member's JSON Lines event log through Core, prints its
/// state timeline and checks that Core reproduces every state and command. A directory replays every
/// <c>*.jsonl</c> in it.
/// </summary>
internal static class ReplayCommand
{
    /// <summary>Exit code when Core decided differently from the log.</summary>
    public const int MismatchExitCode = 5;


    public static Command Create()
    {
        var log = new Argument<string>("log") { Description = "An event log (.jsonl) or a folder of them." };
        var command = new Command("replay", "Replay event logs through Core: print the state timeline and verify determinism.") { log };
        command.SetAction(parse => Run(parse.GetValue(log)!));
        return command;
    }

    private static int Run(string target)
    {
        if (!Directory.Exists(target) && !File.Exists(target))
        {
            throw new BadInputException($"'{target}' is neither an event log nor a folder");
        }

        var files = Directory.Exists(target)
            ? Directory.GetFiles(target, "*.jsonl").Order(StringComparer.Ordinal).ToArray()
            : [target];
        if (files.Length == 0)
        {
            throw new BadInputException($"no *.jsonl file in '{target}'");
        }

        // Every log is replayed even after a bad one; the worst outcome is the exit code, a bad log counting as bad input.
        return files.Select(ReplayOne).Max();
    }

    private static int ReplayOne(string file)
    {
        Console.WriteLine($"== {file}");
        ReplayResult result;
        try
        {
            result = new EventLogReplayer().ReplayFile(file);
        }
        catch (Exception e) when (e is EventLogFormatException or IOException or UnauthorizedAccessException)
        {
            Console.Error.WriteLine($"partitioner replay: '{file}' is not a readable event log: {e.Message}");
            return ExitCodes.BadInput;
        }

        var config = result.Config;
        Console.WriteLine($"member {config.Identifier}, prefix {config.ContenderPrefix}, {config.Items.Length} items, path {config.Path}");
        foreach (var change in result.Timeline)
        {
            var items = change.AcquiredItems.IsDefaultOrEmpty ? "" : $" owns {change.AcquiredItems.Length} items";
            var reason = change.FailureReason is null ? "" : $": {change.FailureReason}";
            Console.WriteLine($"  line {change.LineNumber,6}  decision {change.Seq,6}  {change.EventType,-22} -> {change.State} (state id {change.StateId}){items}{reason}");
        }

        if (result.Mismatch is { } m)
        {
            Console.WriteLine($"determinism: LOST at line {m.LineNumber} (decision {m.Seq}): the {m.Part} differs");
            Console.WriteLine($"  logged:   {m.Expected}");
            Console.WriteLine($"  replayed: {m.Actual}");
            return MismatchExitCode;
        }

        Console.WriteLine($"determinism: all {result.DecisionsMatched} decisions reproduced exactly");
        return 0;
    }
}
