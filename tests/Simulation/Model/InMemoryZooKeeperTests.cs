using System.Collections.Immutable;
using Partitioner.Core;
using Partitioner.ZooKeeper.Port;

namespace Partitioner.Tests.Simulation.Model;

public sealed class InMemoryZooKeeperTests
{
    private static readonly ImmutableArray<byte> NoData = ImmutableArray<byte>.Empty;

    [Fact]
    public void Create_EphemeralSequential_EndsWithTheParentsCversionInTenDigits()
    {
        // Given a parent with two children created and one deleted (cversion 3)
        var h = new ModelHarness();
        var (c, _) = h.Connect("a");
        h.Await(c.CreateAsync("/p", default, NodeKind.Persistent));
        h.Await(c.CreateAsync("/p/x", default, NodeKind.Persistent));
        h.Await(c.CreateAsync("/p/y", default, NodeKind.Persistent));
        h.Await(c.DeleteAsync("/p/y"));

        // When a sequential child is created
        var created = h.Await(c.CreateAsync("/p/abc__lock__", default, NodeKind.EphemeralSequential));

        // Then its name ends with 0000000003
        Assert.Equal((ZooKeeperError.Ok, "/p/abc__lock__0000000003"), (created.Error, created.CreatedPath));
    }

    [Fact]
    public void Create_Errors_AreZooKeepersCodes()
    {
        // Given /p and an ephemeral /e
        var h = new ModelHarness();
        var (c, _) = h.Connect("a");
        h.Await(c.CreateAsync("/p", default, NodeKind.Persistent));
        h.Await(c.CreateAsync("/e", default, NodeKind.Ephemeral));

        // Then a duplicate, an orphan, a child of an ephemeral and a non-empty delete are refused
        Assert.Equal(ZooKeeperError.NodeExists, h.Await(c.CreateAsync("/p", default, NodeKind.Persistent)).Error);
        Assert.Equal(ZooKeeperError.NoNode, h.Await(c.CreateAsync("/q/x", default, NodeKind.Persistent)).Error);
        Assert.Equal(ZooKeeperError.NoChildrenForEphemerals, h.Await(c.CreateAsync("/e/x", default, NodeKind.Persistent)).Error);
        h.Await(c.CreateAsync("/p/x", default, NodeKind.Persistent));
        Assert.Equal(ZooKeeperError.NotEmpty, h.Await(c.DeleteAsync("/p")));
        Assert.Equal(ZooKeeperError.NoNode, h.Await(c.DeleteAsync("/nothing")));
    }

    [Fact]
    public void Multi_WhenTheSecondOpFails_AppliesNothingAndReportsEachOp()
    {
        // Given /p exists
        var h = new ModelHarness();
        var (c, _) = h.Connect("a");
        h.Await(c.CreateAsync("/p", default, NodeKind.Persistent));

        // When a multi creates /a, then /p again, then /b
        var outcome = h.Await(c.MultiAsync([
            new CreateOp("/a", NoData, NodeKind.Persistent, PartyAcl.OpenUnsafe.Node),
            new CreateOp("/p", NoData, NodeKind.Persistent, PartyAcl.OpenUnsafe.Node),
            new CreateOp("/b", NoData, NodeKind.Persistent, PartyAcl.OpenUnsafe.Node)]));

        // Then: Ok (not applied), NodeExists, RuntimeInconsistency; and /a does not exist
        Assert.Equal(ZooKeeperError.NodeExists, outcome.Error);
        Assert.Equal([ZooKeeperError.Ok, ZooKeeperError.NodeExists, ZooKeeperError.RuntimeInconsistency], outcome.Results.Select(r => r.Error));
        Assert.Equal(ZooKeeperError.NoNode, h.Await(c.ExistsAsync("/a", null)));
    }

    [Fact]
    public void Multi_ThatDeletesThenFails_LeavesTheNodeFoundByPathAndListedUnderItsParent()
    {
        // Given /p/x
        var h = new ModelHarness();
        var (c, _) = h.Connect("a");
        h.Await(c.CreateAsync("/p", default, NodeKind.Persistent));
        h.Await(c.CreateAsync("/p/x", default, NodeKind.Persistent));

        // When a multi deletes /p/x and then fails on a create of /p
        var outcome = h.Await(c.MultiAsync([
            new DeleteOp("/p/x"),
            new CreateOp("/p", NoData, NodeKind.Persistent, PartyAcl.OpenUnsafe.Node)]));

        // Then /p/x is still there, by its path (and by the same path written with a trailing or a doubled slash)
        // and among /p's children, and a later delete of it works
        Assert.Equal(ZooKeeperError.NodeExists, outcome.Error);
        Assert.Same(h.Server.Find("/p/x"), h.Server.Find("/p/x/"));
        Assert.Same(h.Server.Find("/p/x"), h.Server.Find("//p//x"));
        Assert.NotNull(h.Server.Find("/p/x"));
        Assert.Equal(["x"], h.Server.Find("/p")!.ChildNames);
        Assert.Equal(ZooKeeperError.Ok, h.Await(c.DeleteAsync("/p/x")));
        Assert.Null(h.Server.Find("/p/x"));
        Assert.Empty(h.Server.Find("/p")!.ChildNames);
    }

    [Fact]
    public void Children_CreatedOutOfOrderAndSomeDeleted_AreListedInOrdinalOrderAndEachFoundByName()
    {
        // Given children of both kinds created in no order (a lone child, then more, then deletes in the middle and at the ends)
        var h = new ModelHarness();
        var (c, _) = h.Connect("a");
        h.Await(c.CreateAsync("/p", default, NodeKind.Persistent));
        string[] created = ["m", "b", "z", "B", "a", "n", "y", "c"];
        foreach (var name in created)
        {
            h.Await(c.CreateAsync($"/p/{name}", default, name.Length == 1 && name[0] < 'n' ? NodeKind.Persistent : NodeKind.Ephemeral));
        }

        h.Await(c.DeleteAsync("/p/B"));
        h.Await(c.DeleteAsync("/p/n"));
        h.Await(c.DeleteAsync("/p/z"));

        // Then the listing is in code-point order, every child is found by name and by path, and the deleted are not
        string[] left = ["a", "b", "c", "m", "y"];
        Assert.Equal(left, h.Server.Find("/p")!.ChildNames);
        Assert.All(left, name => Assert.Same(h.Server.Find("/p")!.Child(name), h.Server.Find($"/p/{name}")));
        Assert.All(left, name => Assert.Equal($"/p/{name}", h.Server.Find($"/p/{name}")!.Path));
        Assert.All(new[] { "B", "n", "z" }, name => Assert.Null(h.Server.Find($"/p/{name}")));
        Assert.Equal(ZooKeeperError.NodeExists, h.Await(c.CreateAsync("/p/y", default, NodeKind.Persistent)).Error);
    }

    [Fact]
    public void Multi_ThatCreatesEphemeralsThenFails_LeavesNothingForTheSessionsEndToDelete()
    {
        // Given a session whose failed multi created two ephemerals before its failing op, then one that succeeded
        var h = new ModelHarness();
        var (c, _) = h.Connect("a");
        h.Await(c.CreateAsync("/l", default, NodeKind.Persistent));
        var failed = h.Await(c.MultiAsync([
            new CreateOp("/l/x__lock__", NoData, NodeKind.EphemeralSequential, PartyAcl.OpenUnsafe.Node),
            new CreateOp("/l/e", NoData, NodeKind.Ephemeral, PartyAcl.OpenUnsafe.Node),
            new CreateOp("/l", NoData, NodeKind.Persistent, PartyAcl.OpenUnsafe.Node)]));
        var kept = h.Await(c.CreateAsync("/l/k", default, NodeKind.Ephemeral));

        // When the session ends
        long session = h.Server.Find("/l/k")!.EphemeralOwner;
        h.Server.ExpireSession(session, forced: false);

        // Then the failed multi left nothing, its sequence was given back, and the end deleted the one that stayed
        Assert.Equal(ZooKeeperError.NodeExists, failed.Error);
        Assert.Equal(ZooKeeperError.Ok, kept.Error);
        Assert.Empty(h.Server.Find("/l")!.ChildNames);
        Assert.Equal(2, h.Server.Find("/l")!.Cversion);
    }

    [Fact]
    public void Multi_WhenEveryOpSucceeds_NumbersSequentialNodesInOrder()
    {
        var h = new ModelHarness();
        var (c, _) = h.Connect("a");
        h.Await(c.CreateAsync("/l", default, NodeKind.Persistent));

        var outcome = h.Await(c.MultiAsync([
            new CreateOp("/l/x__lock__", NoData, NodeKind.EphemeralSequential, PartyAcl.OpenUnsafe.Node),
            new CreateOp("/l/y__lock__", NoData, NodeKind.EphemeralSequential, PartyAcl.OpenUnsafe.Node)]));

        Assert.Equal(ZooKeeperError.Ok, outcome.Error);
        Assert.Equal(["/l/x__lock__0000000000", "/l/y__lock__0000000001"], outcome.Results.Select(r => r.CreatedPath));
    }

    [Fact]
    public void MultiGetChildren_ReadsEachPathOnItsOwn()
    {
        var h = new ModelHarness();
        var (c, _) = h.Connect("a");
        h.Await(c.CreateAsync("/p", default, NodeKind.Persistent));
        h.Await(c.CreateAsync("/p/x", default, NodeKind.Persistent));

        var outcome = h.Await(c.MultiGetChildrenAsync(["/p", "/missing"]));

        Assert.Equal(ZooKeeperError.Ok, outcome.Error);
        Assert.Equal(ZooKeeperError.Ok, outcome.Results[0].Error);
        Assert.Equal(["x"], outcome.Results[0].Children.ToArray());
        Assert.Equal(ZooKeeperError.NoNode, outcome.Results[1].Error);
    }

    [Fact]
    public void Exists_OnAMissingNode_ArmsAWatchThatFiresOnceOnCreate()
    {
        // Given a watch left by exists on a missing node
        var h = new ModelHarness();
        var (watcher, _) = h.Connect("a");
        var (writer, _) = h.Connect("b");
        var fired = new List<WatchEventKind>();
        Assert.Equal(ZooKeeperError.NoNode, h.Await(watcher.ExistsAsync("/n", fired.Add)));

        // When another session creates the node, then deletes it
        h.Await(writer.CreateAsync("/n", default, NodeKind.Persistent));
        h.Await(writer.DeleteAsync("/n"));
        h.RunFor(TimeSpan.FromMilliseconds(50));

        // Then the watch fired once, with NodeCreated
        Assert.Equal([WatchEventKind.NodeCreated], fired);
    }

    [Fact]
    public void Notification_CausedByTheSessionsOwnWrite_ArrivesBeforeTheWritesReply()
    {
        // Given a children watch on /p
        var h = new ModelHarness();
        var (c, _) = h.Connect("a");
        h.Await(c.CreateAsync("/p", default, NodeKind.Persistent));
        var order = new List<string>();
        h.Await(c.GetChildrenAsync("/p", kind => order.Add($"watch {kind}")));

        // When the same session creates a child
        var create = c.CreateAsync("/p/x", default, NodeKind.Persistent);
        create.ContinueWith(_ => order.Add("reply"), TaskContinuationOptions.ExecuteSynchronously);
        h.Await(create);

        // Then the notification came first
        Assert.Equal(["watch NodeChildrenChanged", "reply"], order);
    }

    [Fact]
    public void SessionExpiry_DeletesEphemeralsAndFiresOtherSessionsWatches()
    {
        // Given a's ephemeral node watched by b
        var h = new ModelHarness();
        var (a, _) = h.Connect("a");
        var (b, _) = h.Connect("b");
        h.Await(a.CreateAsync("/e", default, NodeKind.Ephemeral));
        var fired = new List<WatchEventKind>();
        h.Await(b.ExistsAsync("/e", fired.Add));

        // When the server expires a's session
        h.Server.ExpireSession(a.SessionId, forced: true);
        h.RunFor(TimeSpan.FromSeconds(1));

        // Then /e is gone, b heard NodeDeleted, and a learned it is Expired
        Assert.Null(h.Server.Find("/e"));
        Assert.Equal([WatchEventKind.NodeDeleted], fired);
        Assert.Contains("a Expired", h.Events);
    }
}
