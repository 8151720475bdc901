using System.Text.RegularExpressions;
using Partitioner.ZooKeeper;

namespace Partitioner.Tests.Shell;

public sealed class OptionsTests
{
    private readonly ManualTimeProvider _time = new();
    private readonly ScriptedPort _port = new();

    public static TheoryData<string, Action<SetPartitionerOptions>, string, string> BadOptions => new()
    {
        { "batch size 0", o => o.BatchSize = 0, "batchSize", "0" },
        { "batch size too big", o => o.BatchSize = 100_000, "batchSize", "100000" },
        { "uppercase prefix", o => o.ContenderPrefix = "0123456789ABCDEF0123456789ABCDEF", "contenderPrefix", "0123456789ABCDEF0123456789ABCDEF" },
        { "short prefix", o => o.ContenderPrefix = "abc", "contenderPrefix", "abc" },
        { "identifier with '/'", o => o.Identifier = "host/1", "identifier", "host/1" },
        { "negative time boundary", o => o.TimeBoundary = TimeSpan.FromSeconds(-3), "timeBoundary", "-00:00:03" },
        { "zero max reaction time", o => o.MaxReactionTime = TimeSpan.Zero, "maxReactionTime", "00:00:00" },
        { "zero server tick time", o => o.ServerTickTime = TimeSpan.Zero, "options", "ServerTickTime = 00:00:00" },
        { "no request in flight allowed", o => o.RequestsInFlightMax = 0, "options", "RequestsInFlightMax = 0" },
        { "undefined rebalance mode", o => o.Rebalance = (Partitioner.Core.RebalanceMode)7, "options", "Rebalance = 7" },
        { "server tick time too long for the 9 s session", o => o.ServerTickTime = TimeSpan.FromSeconds(6), "options", "tickTime of 6000 ms" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public void Create_WithABadOption_RefusesNamingTheValueAndSendsNothing(
        string because, Action<SetPartitionerOptions> spoil, string parameter, string value)
    {
        var options = Shell.Options(_time);
        spoil(options);

        var error = Assert.Throws<ArgumentException>(() => new SetPartitioner(_port, "/party", ["a"], options));

        Assert.Equal(parameter, error.ParamName);
        Assert.True(error.Message.Contains(value, StringComparison.Ordinal), $"{because}: \"{error.Message}\" does not show {value}");
        Assert.Empty(_port.Calls);
        Assert.False(_port.HasSessionListener);
    }

    [Theory]
    [InlineData("party", "path")]
    [InlineData("/party/", "path")]
    public void Create_WithABadPath_RefusesNamingIt(string path, string parameter)
    {
        var error = Assert.Throws<ArgumentException>(() => new SetPartitioner(_port, path, ["a"], Shell.Options(_time)));

        Assert.Equal(parameter, error.ParamName);
        Assert.Contains(path, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithADuplicateItem_RefusesNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => new SetPartitioner(_port, "/party", ["a", "dup", "dup"], Shell.Options(_time)));

        Assert.Equal("items", error.ParamName);
        Assert.Contains("dup", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithoutATimeProvider_RefusesNamingIt()
    {
        var options = Shell.Options(_time);
        options.TimeProvider = null!;

        var error = Assert.Throws<ArgumentException>(() => new SetPartitioner(_port, "/party", ["a"], options));

        Assert.Equal("options", error.ParamName);
        Assert.Contains("TimeProvider", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WithoutAPort_RefusesNamingIt()
    {
        var error = Assert.Throws<ArgumentNullException>(() => new SetPartitioner((Partitioner.ZooKeeper.Port.IZooKeeperPort)null!, "/party", ["a"]));

        Assert.Equal("port", error.ParamName);
    }

    [Fact]
    public void Options_ByDefault_AreKazoosDefaults()
    {
        var options = new SetPartitionerOptions();

        Assert.Equal(TimeSpan.FromSeconds(30), options.TimeBoundary);
        Assert.Equal(TimeSpan.FromSeconds(1), options.MaxReactionTime);
        Assert.Equal(250, options.BatchSize);
        Assert.Same(TimeProvider.System, options.TimeProvider);
        Assert.Null(options.Identifier);
        Assert.Null(options.ContenderPrefix);
    }

    [Fact]
    public void Create_WithoutIdentifierOrPrefix_UsesHostAndProcessAndARandomHexPrefix()
    {
        var first = new SetPartitioner(_port, "/party", ["a"], new SetPartitionerOptions { TimeProvider = _time });
        var second = new SetPartitioner(_port, "/party", ["a"], new SetPartitionerOptions { TimeProvider = _time });

        Assert.Equal($"{Environment.MachineName}-{Environment.ProcessId}", first.Config.Identifier);
        Assert.Matches(new Regex("^[0-9a-f]{32}$"), first.Config.ContenderPrefix);
        Assert.NotEqual(first.Config.ContenderPrefix, second.Config.ContenderPrefix);
        Assert.Equal("round-robin", first.Config.PartitionFunctionName);
    }
}
