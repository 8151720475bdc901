using Microsoft.Extensions.Options;
using Partitioner.Core;
using ZooKeeper.Client;

namespace Partitioner.Hosting;

/// <summary>
/// Checks <see cref="SetPartitionerHostOptions"/> with the library's own rules (the connect string parser, the
/// client's session bounds, <see cref="PartitionerConfig.Create"/>), and names each failure by its configuration key.
/// It also checks that the rebalance mode suits the registered <paramref name="work"/>: the cooperative mode stops
/// items one by one, which set-wide work cannot do.
/// </summary>
internal sealed class SetPartitionerHostOptionsValidator(string keyPrefix, HostedWork work) : IValidateOptions<SetPartitionerHostOptions>
{
    /// <summary>The key prefix when the options come from code, not from a configuration section.</summary>
    public const string CodePrefix = nameof(SetPartitionerHostOptions);

    public ValidateOptionsResult Validate(string? name, SetPartitionerHostOptions options)
    {
        var failures = new List<string>();
        if (string.IsNullOrWhiteSpace(options.ConnectString))
        {
            failures.Add($"{Key(nameof(options.ConnectString))} is required (host[:port][,host[:port]...][/chroot]).");
        }
        else
        {
            Check(failures, nameof(options.ConnectString), () => ConnectionString.Parse(options.ConnectString));
        }

        Check(failures, nameof(options.SessionTimeout), () => new ZooKeeperClientOptions { SessionTimeout = options.SessionTimeout }.Validate());
        if (options.ServerTickTime is { } tick && tick <= TimeSpan.Zero)
        {
            failures.Add($"{Key(nameof(options.ServerTickTime))}: {tick} is not positive; leave it out for half the session timeout.");
        }

        if (string.IsNullOrEmpty(options.Path))
        {
            failures.Add($"{Key(nameof(options.Path))} is required (the party's root znode, such as /myapp/partitioner).");
        }

        if (options.Items is null || options.Items.Count == 0)
        {
            failures.Add($"{Key(nameof(options.Items))} is required: at least one item to divide.");
        }

        CheckRebalance(failures, options);
        if (failures.Count == 0)
        {
            // The partitioner's own checks, so that the host refuses at start exactly what the member would refuse.
            // Each ArgumentException names its parameter, which maps onto one key.
            Check(failures, null, () => PartitionerConfig.Create(
                options.Path,
                options.Items!,
                options.Identifier ?? "identifier",
                new string('0', PartitionerConfig.ContenderPrefixLength),
                options.TimeBoundary,
                options.MaxReactionTime,
                batchSize: options.BatchSize));
        }

        return failures.Count == 0 ? ValidateOptionsResult.Success : ValidateOptionsResult.Fail(failures);
    }

    private void CheckRebalance(List<string> failures, SetPartitionerHostOptions options)
    {
        if (!Enum.IsDefined(options.Rebalance))
        {
            failures.Add($"{Key(nameof(options.Rebalance))}: {(int)options.Rebalance} is not a RebalanceMode: use Eager or Cooperative.");
        }
        else if (options.Rebalance == RebalanceMode.Cooperative && !work.PerItem)
        {
            // The per-set loop would refuse it only once connected; the host refuses it before it joins the party.
            failures.Add(
                $"{Key(nameof(options.Rebalance))}: Cooperative needs per-item work, but {work.WorkType.Name} is an {work.InterfaceName}, " +
                $"work on the whole set that cannot be stopped item by item: register an {nameof(ISetPartitionerItemWork)} with " +
                $"AddSetPartitionerItems, or set {Key(nameof(options.Rebalance))} to Eager.");
        }

        if (!options.TryGetPartitionFunction(out _))
        {
            failures.Add($"{Key(nameof(options.PartitionFunction))}: \"{options.PartitionFunction}\" is not a partition function: use {SetPartitionerHostOptions.PartitionFunctionNames}.");
        }
    }

    private string Key(string property) => $"{keyPrefix}:{property}";

    private void Check(List<string> failures, string? property, Action check)
    {
        try
        {
            check();
        }
        catch (ArgumentException exception)
        {
            var key = property ?? KeyOfParameter(exception.ParamName);
            var message = exception.ParamName is null ? exception.Message : exception.Message.Replace($" (Parameter '{exception.ParamName}')", "", StringComparison.Ordinal);
            failures.Add($"{Key(key)}: {message}");
        }
    }

    private static string KeyOfParameter(string? parameter) => parameter switch
    {
        "path" => nameof(SetPartitionerHostOptions.Path),
        "items" => nameof(SetPartitionerHostOptions.Items),
        "identifier" => nameof(SetPartitionerHostOptions.Identifier),
        "timeBoundary" => nameof(SetPartitionerHostOptions.TimeBoundary),
        "maxReactionTime" => nameof(SetPartitionerHostOptions.MaxReactionTime),
        "batchSize" => nameof(SetPartitionerHostOptions.BatchSize),
        _ => parameter ?? "?",
    };
}
