using Partitioner.Simulation.Running;
using Partitioner.ZooKeeper;

namespace Partitioner.Tests.Simulation;

/// <summary>Every event log a simulated member writes, faults and all, replays through Core to the same states and commands.</summary>
public sealed class EventLogReplayProperties
{
    [Fact]
    public void EveryMembersLog_FromFaultyRuns_ReplaysExactly()
    {
        var scenarios = FsCheck.Fluent.Gen.Sample(ScenarioGenerators.Scenarios(faultsMax: 8), 20);
        int logs = 0;
        foreach (var scenario in scenarios)
        {
            var result = Simulator.Run(scenario, new SimulationOptions { RecordEventLogs = true });
            foreach (var (name, text) in result.EventLogs)
            {
                var replay = new EventLogReplayer().Replay(new StringReader(text));

                Assert.True(replay.Succeeded, $"{name} of scenario {scenario}: {replay.Mismatch}");
                Assert.True(replay.DecisionsMatched > 0, $"{name} of scenario {scenario} has no decision");
                logs++;
            }
        }

        Assert.True(logs >= 20, $"only {logs} logs were written");
    }
}
