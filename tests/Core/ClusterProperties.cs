using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core;

/// <summary>
/// Properties of whole parties run against the scripted ZooKeeper: convergence to an exact cover, no leaked
/// lock node, idempotency of duplicate results, and determinism.
/// </summary>
public sealed class ClusterProperties
{
    /// <summary>A party: how many members, how many items, the batch size, and how many members join late.</summary>
    public sealed record Scenario(int Members, int Items, int BatchSize, int LateJoiners);

    private static Arbitrary<Scenario> Scenarios() =>
        (from members in Gen.Choose(1, 4)
         from items in Gen.Choose(0, 30)
         from batch in Gen.Choose(1, 7)
         from late in Gen.Choose(0, members - 1)
         select new Scenario(members, items, batch, late)).ToArbitrary();

    [Property(MaxTest = 60)]
    public Property Party_WhenStable_EveryItemHasExactlyOneOwnerAndNoLockNodeLeaks() =>
        Prop.ForAll(Scenarios(), scenario =>
        {
            var cluster = Run(scenario);

            bool allAcquired = cluster.Members.All(m => m.State.PartitionState == PartitionState.Acquired);
            var owned = cluster.Members.SelectMany(m => m.Acquired).ToList();
            bool exactCover = owned.Count == scenario.Items && owned.Distinct().Count() == scenario.Items;
            bool noLeak = cluster.Members.All(m =>
                cluster.LockNodesOf(m).Select(node => node.Split('/')[0]).Order(StringComparer.Ordinal)
                    .SequenceEqual(m.Acquired.Order(StringComparer.Ordinal)));
            return allAcquired && exactCover && noLeak;
        });

    [Property(MaxTest = 40)]
    public Property Party_WhenEveryResultIsDeliveredAgain_NothingChanges() =>
        Prop.ForAll(Scenarios(), scenario =>
        {
            var cluster = Run(scenario);

            return cluster.Members.All(member => member.Delivered.OfType<OperationCompleted>().All(result =>
            {
                var again = Decider.Decide(member.State, result);
                return again.State == member.State && again.Commands.IsEmpty;
            }));
        });

    [Property(MaxTest = 30)]
    public Property Party_RunTwice_DecidesTheSameCommands() =>
        Prop.ForAll(Scenarios(), scenario =>
        {
            var first = Run(scenario);
            var second = Run(scenario);

            return first.Members.Zip(second.Members).All(pair => pair.First.Commands.SequenceEqual(pair.Second.Commands, CommandComparer.Instance));
        });

    [Property(MaxTest = 30)]
    public Property Party_AfterAFullReleaseCycle_ConvergesAgainWithoutLeaks() =>
        Prop.ForAll(Scenarios(), drawn =>
        {
            // Someone must be left to take the leaver's items.
            var scenario = drawn with { Members = Math.Max(2, drawn.Members) };
            var cluster = Run(scenario);
            var leaver = cluster.Members[0];

            cluster.Deliver(leaver, new FinishRequested());
            cluster.Settle();
            foreach (var member in cluster.Members.Where(m => m.State.PartitionState == PartitionState.Release))
            {
                cluster.Deliver(member, new ReleaseRequested());
            }

            cluster.RunUntilQuiet();
            var live = cluster.Members.Skip(1).ToList();
            var owned = live.SelectMany(m => m.Acquired).ToList();
            return cluster.LockNodesOf(leaver).Length == 0
                && live.All(m => m.State.PartitionState == PartitionState.Acquired)
                && owned.Distinct().Count() == scenario.Items && owned.Count == scenario.Items;
        });

    private static Cluster Run(Scenario scenario)
    {
        var cluster = new Cluster();
        var items = Enumerable.Range(0, scenario.Items).Select(i => "item-" + i.ToString(System.Globalization.CultureInfo.InvariantCulture)).ToList();
        int early = scenario.Members - scenario.LateJoiners;
        for (int i = 0; i < early; i++)
        {
            cluster.Join(Configs.For("m" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), items, batchSize: scenario.BatchSize));
        }

        cluster.RunUntilQuiet();
        for (int i = early; i < scenario.Members; i++)
        {
            cluster.Join(Configs.For("m" + i.ToString(System.Globalization.CultureInfo.InvariantCulture), items, batchSize: scenario.BatchSize));
            cluster.Settle();
            foreach (var member in cluster.Members.Where(m => m.State.PartitionState == PartitionState.Release))
            {
                cluster.Deliver(member, new ReleaseRequested());
            }
        }

        cluster.RunUntilQuiet();
        return cluster;
    }

    /// <summary>Commands compared by value, including the contents of their immutable arrays.</summary>
    private sealed class CommandComparer : IEqualityComparer<Command>
    {
        public static CommandComparer Instance { get; } = new();

        public bool Equals(Command? x, Command? y) => Describe(x) == Describe(y);

        public int GetHashCode(Command obj) => Describe(obj).Length;

        private static string Describe(Command? command) => command switch
        {
            CreateNode c => $"create {c.OpId} {c.Path} {c.Kind} {Convert.ToHexString(c.Data.AsSpan())}",
            Multi m => $"multi {m.OpId} " + string.Join(",", m.Ops.Select(op => op.ToString())),
            MultiGetChildren r => $"multiread {r.OpId} " + string.Join(",", r.Paths),
            null => "null",
            _ => command.ToString(),
        };
    }
}
