using System.Collections.Immutable;
using System.CommandLine;
using Partitioner.Cli.Input;
using Partitioner.Core;
using Partitioner.ZooKeeper;
using ZooKeeper.Client;
using Command = System.CommandLine.Command;

namespace Partitioner.Cli.Worker;

/// <summary>
/// <c>partitioner worker</c>: one member on a real ZooKeeper, running the standard loop, reporting what it
/// does as JSON lines (the same shape as the kazoo driver's) so that tests and operators can watch it:
/// <c>{"event":"state","state":"ACQUIRED","items":["a"]}</c> on each state change, and
/// <c>{"event":"ownership","items":[...]}</c> whenever the items it may act on change, which includes
/// dropping to none when it has not heard from ZooKeeper for too long. With <c>--rebalance cooperative</c> it runs one
/// work per item (<see cref="SetPartitioner.RunItemsAsync"/>) and also prints each item's assignment, revocation and
/// loss with its token: <c>{"event":"assigned","item":"a","token":4294967301}</c>, <c>"revoked"</c>, <c>"lost"</c>.
/// "finish" on stdin, or stdin closing, makes it leave the party and exit.
/// </summary>
internal static class WorkerCommand
{
    /// <summary>Exit code when the member reached Failure without being asked to finish (its session expired).</summary>
    public const int FailedExitCode = 3;

    /// <summary>Exit code when no server answered within the connect timeout.</summary>
    public const int ConnectFailedExitCode = ExitCodes.ConnectFailed;

    public static Command Create()
    {
        var connection = new ConnectionOptions();
        var path = new Option<string>("--path") { Description = "The party's root znode.", Required = true };
        var items = new ItemOptions(required: true);
        var identifier = new Option<string?>("--identifier") { Description = "This member's identifier, unique in the party (default host-pid)." };
        var timeBoundary = new Option<double>("--time-boundary") { Description = "Seconds the party must stay unchanged before sharing.", DefaultValueFactory = _ => 30.0 };
        var releaseDelay = new Option<double>("--release-delay") { Description = "Seconds the work takes to stop once asked (a slow consumer).", DefaultValueFactory = _ => 0.0 };
        var prefix = new Option<string?>("--prefix") { Description = "The 32-hex-digit contender prefix (default random)." };
        var acl = new Option<string>("--acl")
        {
            Description = "The ACL of the nodes this member creates: open (anyone may do anything, kazoo's default) or creator-all (only the credentials of --auth-file or PARTITIONER_ZK_AUTH, with what members need).",
            DefaultValueFactory = _ => "open",
        };
        var eventLog = new Option<string?>("--event-log") { Description = "Write every decision to this file (JSON Lines, for partitioner replay)." };
        var rebalance = new Option<string>("--rebalance")
        {
            Description = "eager (kazoo's: every member stops all its work on a party change; the default) or cooperative (only the items that move stop, item by item; every member of the party must be this library's and use it). Cooperative prints each item's assigned, revoked and lost lines.",
            DefaultValueFactory = _ => "eager",
        };
        var partitionFunction = new Option<string>("--partition-function")
        {
            Description = "round-robin (kazoo's, the default) or sticky (rendezvous hashing that moves few items on a change; for parties of this library only). Every member of the party must use the same one.",
            DefaultValueFactory = _ => "round-robin",
        };
        var command = new Command("worker", "Run one member against ZooKeeper and print its states as JSON lines.")
        {
            path, identifier, timeBoundary, releaseDelay, prefix, acl, eventLog, rebalance, partitionFunction,
        };
        connection.AddTo(command);
        items.AddTo(command);
        command.SetAction((parse, cancellationToken) =>
        {
            var settings = new WorkerSettings(
                connection.Read(parse),
                parse.GetValue(path)!,
                items.Read(parse)!.Value,
                parse.GetValue(identifier),
                Numbers.Seconds(parse.GetValue(timeBoundary), "--time-boundary"),
                Numbers.Seconds(parse.GetValue(releaseDelay), "--release-delay"),
                parse.GetValue(prefix))
            {
                Acl = ReadAcl(parse.GetValue(acl)!),
                EventLog = parse.GetValue(eventLog),
                Rebalance = ReadRebalance(parse.GetValue(rebalance)!),
                PartitionFunctionName = ReadPartitionFunction(parse.GetValue(partitionFunction)!),
            };
            CheckMember(settings);
            if (settings.Acl != PartyAcl.OpenUnsafe && settings.Connection.Auth.Count == 0)
            {
                throw new BadInputException($"--acl creator-all needs credentials: --auth-file, or the {ConnectionOptions.AuthVariable} environment variable");
            }

            return RunAsync(settings, cancellationToken);
        });
        return command;
    }

    private static PartyAcl ReadAcl(string text) => text switch
    {
        "open" => PartyAcl.OpenUnsafe,
        "creator-all" => PartyAcl.CreatorAll,
        _ => throw new BadInputException($"--acl {text}: expected open or creator-all"),
    };

    private static RebalanceMode ReadRebalance(string text) => text switch
    {
        "eager" => RebalanceMode.Eager,
        "cooperative" => RebalanceMode.Cooperative,
        _ => throw new BadInputException($"--rebalance {text}: expected eager or cooperative"),
    };

    /// <summary>The partition function's name as Core and the event log know it; <see cref="WorkerSettings.PartitionFunction"/> maps it.</summary>
    private static string ReadPartitionFunction(string text) => text is "round-robin" or "sticky"
        ? text
        : throw new BadInputException($"--partition-function {text}: expected round-robin or sticky");

    /// <summary>Checks the path, items, identifier and prefix before connecting, so that a bad one costs no session.</summary>
    private static void CheckMember(WorkerSettings settings)
    {
        try
        {
            PartitionerConfig.Create(
                settings.Path,
                settings.Items,
                settings.Identifier ?? "default-identifier",
                settings.Prefix ?? Guid.Empty.ToString("N"),
                settings.TimeBoundary,
                TimeSpan.FromSeconds(1),
                settings.PartitionFunction,
                settings.PartitionFunctionName);
        }
        catch (ArgumentException e)
        {
            throw new BadInputException(ConnectionOptions.WithoutParameter(e));
        }
    }

    private static async Task<int> RunAsync(WorkerSettings settings, CancellationToken cancellationToken)
    {
        var output = new WorkerOutput(Console.Out);
        ZooKeeperClient client;
        try
        {
            client = await ConnectionOptions.ConnectAsync(
                settings.Connection,
                _ => output.Write(new
                {
                    @event = "connecting",
                    servers = settings.Connection.Servers,
                    timeout_s = settings.Connection.ConnectTimeout.TotalSeconds,
                    tls = settings.Connection.Tls is not null,
                    auth = settings.Connection.Auth.Select(a => a.Scheme).ToArray(),
                }),
                cancellationToken);
        }
        catch (ConnectFailedException e)
        {
            output.Write(new { @event = "exit", reason = e.Message });
            Console.Error.WriteLine($"partitioner worker: {e.Message}");
            return ConnectFailedExitCode;
        }
        catch (OperationCanceledException)
        {
            output.Write(new { @event = "exit", reason = "stopped before it connected" });
            return ConnectFailedExitCode;
        }

        await using (client)
        {
            output.Write(new { @event = "connected", session = $"0x{client.SessionId:x}", timeout_ms = (long)client.NegotiatedTimeout.TotalMilliseconds });
            return await RunMemberAsync(client, settings, output, cancellationToken);
        }
    }

    private static async Task<int> RunMemberAsync(ZooKeeperClient client, WorkerSettings settings, WorkerOutput output, CancellationToken cancellationToken)
    {
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        var options = new SetPartitionerOptions
        {
            Identifier = settings.Identifier,
            TimeBoundary = settings.TimeBoundary,
            ContenderPrefix = settings.Prefix,
            TimeProvider = client.TimeProvider,
            Acl = settings.Acl,
            Rebalance = settings.Rebalance,
            PartitionFunction = settings.PartitionFunction,
            PartitionFunctionName = settings.PartitionFunctionName,
        };
        using var eventLog = settings.EventLog is null ? null : new JsonLinesEventLogSink(File.Create(settings.EventLog));
        options.EventLog = eventLog;
        await using var member = new SetPartitioner(client, settings.Path, settings.Items, options);
        member.StateChanged += (_, change) =>
        {
            var owned = change.NewState == PartitionState.Acquired ? member.OwnedItems.ToArray() : [];
            output.Write(new
            {
                @event = "state",
                state = change.NewState.ToString().ToUpperInvariant(),
                items = owned.Select(o => o.Name).ToArray(),
                owned = WorkerOutput.Owned(owned),
            });
        };
        _ = WatchStdinAsync(stop);
        using var ownership = new OwnershipReporter(member, output, client.TimeProvider);
        try
        {
            if (settings.Rebalance == RebalanceMode.Cooperative)
            {
                member.ItemOwnershipChanged += (_, change) => output.Write(new { @event = WorkerOutput.ChangeName(change.Change), item = change.Item, token = change.FencingToken });
                await member.RunItemsAsync(work => WorkAsync(settings.ReleaseDelay, work.Stopping), stop.Token);
            }
            else
            {
                await member.RunAsync((_, ct) => WorkAsync(settings.ReleaseDelay, ct), stop.Token);
            }

            output.Write(new { @event = "exit", reason = "finished" });
            return 0;
        }
        catch (PartitionerFailedException e)
        {
            output.Write(new { @event = "exit", reason = e.Message });
            return FailedExitCode;
        }
    }

    /// <summary>The work itself is nothing: hold the items until asked to stop, then take the configured time to stop.</summary>
    private static async Task WorkAsync(TimeSpan releaseDelay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(Timeout.InfiniteTimeSpan, cancellationToken);
        }
        catch (OperationCanceledException)
        {
            await Task.Delay(releaseDelay, CancellationToken.None);
        }
    }

    /// <summary>"finish" on stdin, or stdin closing (the parent is gone), stops the loop; the member then leaves the party.</summary>
    private static async Task WatchStdinAsync(CancellationTokenSource stop)
    {
        using var input = Console.OpenStandardInput();
        using var reader = new StreamReader(input);
        while (await reader.ReadLineAsync() is { } line)
        {
            if (line.Trim() == "finish")
            {
                break;
            }
        }

        await stop.CancelAsync();
    }
}

/// <summary>What <c>partitioner worker</c> was told to do.</summary>
internal sealed record WorkerSettings(
    ConnectionSettings Connection,
    string Path,
    ImmutableArray<string> Items,
    string? Identifier,
    TimeSpan TimeBoundary,
    TimeSpan ReleaseDelay,
    string? Prefix)
{
    /// <summary>The ACL of the nodes the member creates.</summary>
    public PartyAcl Acl { get; init; } = PartyAcl.OpenUnsafe;

    /// <summary>Where the event log goes, or null for none.</summary>
    public string? EventLog { get; init; }

    /// <summary>The rebalance mode. The default is eager.</summary>
    public RebalanceMode Rebalance { get; init; } = RebalanceMode.Eager;

    /// <summary>"round-robin" or "sticky".</summary>
    public string PartitionFunctionName { get; init; } = "round-robin";

    /// <summary>The function <see cref="PartitionFunctionName"/> names; null for kazoo's round-robin.</summary>
    public PartitionFunction? PartitionFunction => PartitionFunctionName == "sticky" ? PartitionFunctions.Sticky : null;
}
