using System.Collections.Immutable;
using System.CommandLine;
using System.Text.Json;
using Partitioner.Cli.Input;
using Partitioner.Core;
using ZooKeeper.Client;
using Command = System.CommandLine.Command;

namespace Partitioner.Cli.Inspect;

/// <summary>
/// <c>partitioner inspect</c>: who is in a party (C# and kazoo members alike), who holds each item and who waits
/// for it and for how long, items nobody holds, lock nodes no member accounts for, duplicate identifiers; as a
/// table or as JSON. <c>--what-if join:NAME</c> / <c>leave:NAME</c> adds which items would move; <c>--watch</c>
/// redraws whenever the party or a lock folder changes. It only reads.
/// </summary>
internal static class InspectCommand
{
    /// <summary>Exit code when no server answered within the connect timeout.</summary>
    public const int ConnectFailedExitCode = ExitCodes.ConnectFailed;

    public static Command Create()
    {
        var connection = new ConnectionOptions();
        var path = new Option<string>("--path") { Description = "The party's root znode.", Required = true };
        var items = new ItemOptions(required: false);
        var json = new Option<bool>("--json") { Description = "Print the report as JSON instead of tables." };
        var whatIf = new Option<string?>("--what-if") { Description = "join:NAME or leave:NAME: also print which items would move (round-robin)." };
        var watch = new Option<bool>("--watch") { Description = "Redraw whenever the party or a lock folder changes, until Ctrl+C." };
        var command = new Command("inspect", "Show a party's members, each item's holder and waiters, and what looks wrong.")
        {
            path, json, whatIf, watch,
        };
        connection.AddTo(command);
        items.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = new InspectSettings(
                connection.Read(parse),
                CheckPath(parse.GetValue(path)!),
                CheckItems(items.Read(parse)),
                parse.GetValue(json),
                ParseWhatIf(parse.GetValue(whatIf)),
                parse.GetValue(watch));
            return RunAsync(settings, cancellationToken);
        });
        return command;
    }

    private static string CheckPath(string path)
    {
        try
        {
            PartitionerConfig.Create(path, [], "inspect", Guid.Empty.ToString("N"), TimeSpan.Zero, TimeSpan.FromSeconds(1));
            return path;
        }
        catch (ArgumentException e)
        {
            throw new BadInputException(ConnectionOptions.WithoutParameter(e));
        }
    }

    private static ImmutableArray<string>? CheckItems(ImmutableArray<string>? items)
    {
        if (items is { } list)
        {
            try
            {
                PartitionerConfig.Create("/inspect", list, "inspect", Guid.Empty.ToString("N"), TimeSpan.Zero, TimeSpan.FromSeconds(1));
            }
            catch (ArgumentException e)
            {
                throw new BadInputException(ConnectionOptions.WithoutParameter(e));
            }
        }

        return items;
    }

    private static WhatIfChange? ParseWhatIf(string? text)
    {
        if (text is null)
        {
            return null;
        }

        var colon = text.IndexOf(':', StringComparison.Ordinal);
        var verb = colon < 0 ? text : text[..colon];
        var name = colon < 0 ? "" : text[(colon + 1)..];
        if (verb is not ("join" or "leave") || name.Length == 0)
        {
            throw new BadInputException($"--what-if '{text}' is not join:NAME or leave:NAME");
        }

        try
        {
            PartitionerConfig.Create("/inspect", [], name, Guid.Empty.ToString("N"), TimeSpan.Zero, TimeSpan.FromSeconds(1));
        }
        catch (ArgumentException e)
        {
            throw new BadInputException($"--what-if: {ConnectionOptions.WithoutParameter(e)}");
        }

        return new WhatIfChange(verb == "join", name);
    }

    private static async Task<int> RunAsync(InspectSettings settings, CancellationToken cancellationToken)
    {
        ZooKeeperClient client;
        try
        {
            client = await ConnectionOptions.ConnectAsync(settings.Connection, line => Console.Error.WriteLine($"partitioner inspect: {line}"), cancellationToken);
        }
        catch (ConnectFailedException e)
        {
            Console.Error.WriteLine($"partitioner inspect: {e.Message}");
            return ConnectFailedExitCode;
        }

        await using (client)
        {
            var reader = new PartyReader(client, TimeProvider.System);
            return settings.Watch
                ? await WatchAsync(client, reader, settings, cancellationToken)
                : await PrintOnceAsync(reader, settings, cancellationToken) is null ? ExitCodes.BadInput : ExitCodes.Ok;
        }
    }

    /// <summary>Reads and prints the report; null (after printing why) when there is no party at the path.</summary>
    private static async Task<PartySnapshot?> PrintOnceAsync(PartyReader reader, InspectSettings settings, CancellationToken cancellationToken)
    {
        var snapshot = await reader.ReadAsync(settings.Path, settings.Items, cancellationToken);
        if (snapshot is null)
        {
            Console.Error.WriteLine($"partitioner inspect: --path {settings.Path} holds no party: neither {ZnodePaths.Party(settings.Path)} nor {ZnodePaths.Locks(settings.Path)} exists");
            return null;
        }

        if (settings.WhatIf is { Join: false } leave && !snapshot.Party.Any(p => p.Identifier == leave.Identifier))
        {
            throw new BadInputException($"--what-if {leave}: '{leave.Identifier}' is not a member of the party at {settings.Path}");
        }

        var report = InspectReport.Of(snapshot, settings.WhatIf);
        Console.Out.Write(settings.Json
            ? JsonSerializer.Serialize(report, InspectJson.Default.InspectReport) + Environment.NewLine
            : ReportTable.Render(report, settings.Connection.Servers));
        Console.Out.Flush();
        return snapshot;
    }

    /// <summary>
    /// Prints, then waits for a change of the party or of any lock folder, and prints again. One children watch per
    /// node at a time: a watch is armed again only after it fired, so the number armed never exceeds the folders.
    /// </summary>
    private static async Task<int> WatchAsync(ZooKeeperClient client, PartyReader reader, InspectSettings settings, CancellationToken cancellationToken)
    {
        var armed = new HashSet<string>(StringComparer.Ordinal);
        var changed = new SemaphoreSlim(0);
        void Fired(string path)
        {
            lock (armed)
            {
                armed.Remove(path);
            }

            changed.Release();
        }

        try
        {
            for (var screen = 0; ; screen++)
            {
                if (screen > 0 && !Console.IsOutputRedirected)
                {
                    // Clear the terminal and draw the new screen from the top.
                    Console.Out.Write("\u001b[H\u001b[2J");
                }
                else if (screen > 0)
                {
                    Console.Out.WriteLine("--- changed");
                }

                var snapshot = await PrintOnceAsync(reader, settings, cancellationToken);
                var paths = new List<string> { ZnodePaths.Party(settings.Path), ZnodePaths.Locks(settings.Path) };
                paths.AddRange((snapshot?.Items ?? []).Select(i => ZnodePaths.LockFolder(settings.Path, i)));
                await ArmAsync(client, paths, armed, Fired, cancellationToken);
                await changed.WaitAsync(cancellationToken);

                // Let a burst of changes (a rebalance) settle into one redraw.
                await Task.Delay(TimeSpan.FromMilliseconds(200), cancellationToken);
                while (changed.CurrentCount > 0)
                {
                    await changed.WaitAsync(cancellationToken);
                }
            }
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
    }

    private static async Task ArmAsync(ZooKeeperClient client, List<string> paths, HashSet<string> armed, Action<string> fired, CancellationToken cancellationToken)
    {
        var arming = new List<Task>();
        foreach (var path in paths)
        {
            lock (armed)
            {
                if (!armed.Add(path))
                {
                    continue;
                }
            }

            // A missing node is watched for its creation instead, with exists.
            arming.Add(ArmOneAsync(client, path, fired, cancellationToken));
        }

        await Task.WhenAll(arming);
    }

    private static async Task ArmOneAsync(ZooKeeperClient client, string path, Action<string> fired, CancellationToken cancellationToken)
    {
        try
        {
            await client.GetChildrenAsync(path, _ => fired(path), cancellationToken);
        }
        catch (NoNodeException)
        {
            await client.ExistsAsync(path, _ => fired(path), cancellationToken);
        }
    }
}

/// <summary>What <c>partitioner inspect</c> was told to do.</summary>
internal sealed record InspectSettings(
    ConnectionSettings Connection,
    string Path,
    ImmutableArray<string>? Items,
    bool Json,
    WhatIfChange? WhatIf,
    bool Watch);
