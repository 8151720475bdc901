using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Partitioner.Hosting;
using Microsoft.Extensions.Options;
using Partitioner.Core;
using static Partitioner.Integration.Hosting.HostedMemberKit;

namespace Partitioner.Integration.Hosting;

/// <summary>
/// The host refuses to start with bad partitioner settings, naming the configuration key and the value. No server is
/// needed: validation runs before the member connects (the connect string points at a port nothing listens on).
/// </summary>
public sealed class HostingOptionsTests
{
    private const string Nowhere = "127.0.0.1:1";

    [Fact]
    public async Task Start_WithARelativePath_FailsNamingPartitionerPathAndTheValue()
    {
        var error = await StartFails(Settings(Nowhere, "myapp/partitioner", ["a", "b"], "m1"));
        Assert.Contains("Partitioner:Path: The path \"myapp/partitioner\" is not an absolute znode path: it does not start with '/'.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithoutConnectString_FailsNamingPartitionerConnectString()
    {
        var settings = Settings(Nowhere, "/app", ["a"], "m1");
        settings.Remove("Partitioner:ConnectString");
        var error = await StartFails(settings);
        Assert.Contains("Partitioner:ConnectString is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithABadConnectString_FailsNamingTheKeyAndTheServer()
    {
        var error = await StartFails(Settings("127.0.0.1:2181,", "/app", ["a"], "m1"));
        Assert.Contains("Partitioner:ConnectString: The connect string '127.0.0.1:2181,' has an empty server entry.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithADuplicateItem_FailsNamingPartitionerItemsAndTheItem()
    {
        var error = await StartFails(Settings(Nowhere, "/app", ["a", "b", "a"], "m1"));
        Assert.Contains("Partitioner:Items: The item \"a\" appears more than once.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithNoItems_FailsNamingPartitionerItems()
    {
        var error = await StartFails(Settings(Nowhere, "/app", [], "m1"));
        Assert.Contains("Partitioner:Items is required", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithAnIdentifierHoldingASlash_FailsNamingPartitionerIdentifier()
    {
        var error = await StartFails(Settings(Nowhere, "/app", ["a"], "a/b"));
        Assert.Contains("Partitioner:Identifier: The identifier \"a/b\" is not valid: it contains '/'.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithATooShortSessionTimeout_FailsNamingPartitionerSessionTimeout()
    {
        var settings = Settings(Nowhere, "/app", ["a"], "m1");
        settings["Partitioner:SessionTimeout"] = "00:00:00.010";
        var error = await StartFails(settings);
        Assert.Contains("Partitioner:SessionTimeout: SessionTimeout 00:00:00.0100000 must be between 100 ms and 1 day.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithANegativeTimeBoundary_FailsNamingPartitionerTimeBoundary()
    {
        var settings = Settings(Nowhere, "/app", ["a"], "m1");
        settings["Partitioner:TimeBoundary"] = "-00:00:01";
        var error = await StartFails(settings);
        Assert.Contains("Partitioner:TimeBoundary:", error.Message, StringComparison.Ordinal);
        Assert.Contains("is negative", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_Cooperative_WithSetWideWork_FailsNamingPartitionerRebalanceAndTheWork()
    {
        var settings = Settings(Nowhere, "/app", ["a"], "m1");
        settings["Partitioner:Rebalance"] = "Cooperative";
        var error = await StartFails(settings);
        Assert.Contains(
            "Partitioner:Rebalance: Cooperative needs per-item work, but RecordingWork is an ISetPartitionerWork, work on the whole set " +
            "that cannot be stopped item by item: register an ISetPartitionerItemWork with AddSetPartitionerItems, or set Partitioner:Rebalance to Eager.",
            error.Message,
            StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithAnUnknownPartitionFunction_FailsNamingPartitionerPartitionFunctionAndTheValue()
    {
        var settings = Settings(Nowhere, "/app", ["a"], "m1");
        settings["Partitioner:PartitionFunction"] = "stiky";
        var error = await StartFails(settings);
        Assert.Contains("Partitioner:PartitionFunction: \"stiky\" is not a partition function: use round-robin or sticky.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Start_WithAnUndefinedRebalanceMode_FailsNamingSetPartitionerHostOptionsRebalance()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSetPartitionerItems<RecordingItemWork>(o =>
        {
            o.ConnectString = Nowhere;
            o.Path = "/app";
            o.Items = ["a"];
            o.Rebalance = (RebalanceMode)7;
        });
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("SetPartitionerHostOptions:Rebalance: 7 is not a RebalanceMode: use Eager or Cooperative.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSetPartitionerItems_AfterAddSetPartitioner_IsRefused()
    {
        var services = new ServiceCollection();
        services.AddSetPartitioner<RecordingWork>(o => o.Path = "/a");
        var error = Assert.Throws<InvalidOperationException>(() => services.AddSetPartitionerItems<RecordingItemWork>(o => o.Path = "/b"));
        Assert.Equal("AddSetPartitioner or AddSetPartitionerItems was already called on these services; a host runs one member.", error.Message);
    }

    [Fact]
    public async Task Start_WithOptionsSetInCode_NamesTheKeyAfterTheOptionsClass()
    {
        var builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings());
        builder.Services.AddSetPartitioner<RecordingWork>(o =>
        {
            o.ConnectString = Nowhere;
            o.Path = "/app";
            o.Items = ["a", "a"];
        });
        using var host = builder.Build();
        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync());
        Assert.Contains("SetPartitionerHostOptions:Items: The item \"a\" appears more than once.", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void AddSetPartitioner_Twice_IsRefused()
    {
        var services = new ServiceCollection();
        services.AddSetPartitioner<RecordingWork>(o => o.Path = "/a");
        var error = Assert.Throws<InvalidOperationException>(() => services.AddSetPartitioner<RecordingWork>(o => o.Path = "/b"));
        Assert.Equal("AddSetPartitioner or AddSetPartitionerItems was already called on these services; a host runs one member.", error.Message);
    }

    private static async Task<OptionsValidationException> StartFails(Dictionary<string, string?> settings)
    {
        using var host = Build(settings);
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        return await Assert.ThrowsAsync<OptionsValidationException>(() => host.StartAsync(timeout.Token));
    }
}
