using Partitioner.Simulation;
using Partitioner.Simulation.Faults;

namespace Partitioner.Tests.Simulation;

public sealed class ScenarioSpecTests
{
    [Fact]
    public void Spec_WrittenThenParsed_GivesTheSameScenario()
    {
        var scenario = ScenarioGenerator.FromSeed(99, 4, 30, TimeSpan.FromSeconds(20), 0.5);

        var parsed = Scenario.Parse(scenario.ToString());

        Assert.Equal(scenario.ToString(), parsed.ToString());
        Assert.Equal(scenario.Faults.ToArray(), parsed.Faults.ToArray());
    }

    [Fact]
    public void Spec_WithTransients_RoundTrips_AndASpecWithoutTheKeyHasNone()
    {
        var scenario = ScenarioGenerator.FromSeed(99, 4, 30, TimeSpan.FromSeconds(20), 0.5) with { TransientPermille = 37 };

        Assert.Contains("transients=37;", scenario.ToString(), StringComparison.Ordinal);
        Assert.Equal(37, Scenario.Parse(scenario.ToString()).TransientPermille);
        Assert.Equal(0, Scenario.Parse(scenario.ToString().Replace("transients=37;", "", StringComparison.Ordinal)).TransientPermille);
    }

    [Fact]
    public void Validate_TransientRateAbove500_NamesTheValue()
    {
        var scenario = ScenarioGenerator.FromSeed(1, 2, 3, TimeSpan.FromSeconds(5), 0) with { TransientPermille = 501 };

        var error = Assert.Throws<ArgumentException>(() => scenario.Validate());

        Assert.Equal("TransientPermille", error.ParamName);
        Assert.Contains("501", error.Message);
    }

    [Fact]
    public void Spec_WithAnUnknownFaultKind_IsRefusedNamingIt()
    {
        var spec = ScenarioGenerator.FromSeed(1, 2, 3, TimeSpan.FromSeconds(5), 0).ToString() + "100:Meteor:0:0";

        var error = Assert.Throws<FormatException>(() => Scenario.Parse(spec));

        Assert.Contains("'100:Meteor:0:0'", error.Message);
    }

    [Fact]
    public void Validate_TooManyMembers_NamesTheValue()
    {
        var scenario = ScenarioGenerator.FromSeed(1, 2, 3, TimeSpan.FromSeconds(5), 0) with { Members = Scenario.MembersMax + 1 };

        var error = Assert.Throws<ArgumentException>(() => scenario.Validate());

        Assert.Equal("Members", error.ParamName);
        Assert.Contains("101", error.Message);
    }

    [Fact]
    public void FromSeed_SameSeed_SameScenario_AndTheFaultRateSetsTheDensity()
    {
        var a = ScenarioGenerator.FromSeed(7, 5, 20, TimeSpan.FromSeconds(100), 0.2);
        var b = ScenarioGenerator.FromSeed(7, 5, 20, TimeSpan.FromSeconds(100), 0.2);

        Assert.Equal(a.ToString(), b.ToString());
        Assert.InRange(a.Faults.Length, 10, 30);
        Assert.All(a.Faults, f => Assert.InRange(f.At, TimeSpan.Zero, TimeSpan.FromSeconds(100)));
        Assert.Empty(ScenarioGenerator.FromSeed(7, 5, 20, TimeSpan.FromSeconds(100), 0).Faults);
    }

    [Fact]
    public void DurationFor_LongFaults_OutlastTheSessionTimeout_AndShortOnesDoNot()
    {
        var session = TimeSpan.FromSeconds(4);

        Assert.True(ScenarioGenerator.DurationFor(FaultKind.LongPartition, session, 0) > session);
        Assert.True(ScenarioGenerator.DurationFor(FaultKind.Pause, session, 0) > session);
        Assert.True(ScenarioGenerator.DurationFor(FaultKind.ShortPartition, session, 1000) < session);
    }

    [Fact]
    public void DrawParty_IsAFunctionOfTheSeed_AndReachesTheLargestParties()
    {
        var draws = Enumerable.Range(1, 2_000).Select(i => ScenarioGenerator.DrawParty((ulong)i)).ToArray();

        Assert.Equal(draws[7], ScenarioGenerator.DrawParty(8));
        Assert.All(draws, d => Assert.InRange(d.Members, 1, Scenario.MembersMax));
        Assert.All(draws, d => Assert.InRange(d.Items, 0, Scenario.ItemsMax));
        Assert.All(draws, d => Assert.InRange(d.FaultRate, 0, 2));
        Assert.Contains(draws, d => d.Members > 50);
        Assert.Contains(draws, d => d.Items == Scenario.ItemsMax);
        Assert.True(draws.Count(d => d.Members <= 9) > draws.Length / 2, "most draws are small parties");
    }
}
