using System.CommandLine;

namespace Partitioner.Cli.Inspect;

/// <summary><c>partitioner inspect</c>: placeholder until the inspector lands.</summary>
internal static class InspectCommand
{
    public static Command Create() => new("inspect", "Show a party's members, holders and waiters.");
}
