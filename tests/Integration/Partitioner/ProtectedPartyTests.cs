using System.Collections.Immutable;
using System.Text.Json;
using Partitioner.Core;
using Partitioner.Integration.Infrastructure;
using Partitioner.ZooKeeper;
using ZooKeeper.Client;
using static Partitioner.Integration.Partitioner.PartitionerTestKit;

namespace Partitioner.Integration.Partitioner;

/// <summary>
/// Parties whose nodes are protected by ACLs (creator-all with digest auth) on the real server: members with the
/// same credentials, C# and kazoo, share the party; a stranger and a holder of other credentials can break nothing;
/// and the same attacks on the world-open default all succeed, as the README warns.
/// </summary>
[Collection(SharedServerCollection.Name)]
public sealed class ProtectedPartyTests(ZooKeeperServerFixture server) : IDisposable
{
    private const string Credentials = "worker:s3cret-pw";
    private static readonly AuthInfo Member = AuthInfo.Digest("worker", "s3cret-pw");
    private static readonly AuthInfo Other = AuthInfo.Digest("intruder", "guess");
    private static readonly ImmutableArray<string> Items = ["a", "b", "c", "d"];
    private readonly ChildProcesses _children = new();

    [Fact]
    public async Task ProtectedParty_CSharpAndKazooMembersWithTheSameDigest_ShareIt()
    {
        var path = server.UniqueRoot("acl-mixed") + "/p";
        await using var zk = await Connect(server.ConnectString, null, Member);
        await using var cs = Join(zk, path, "cs-1");
        var py = StartKazooMember(path, "py-1");

        await Eventually(
            async () =>
            {
                if (cs.Release)
                {
                    await cs.ReleaseSetAsync().WaitAsync(WaitMax);
                }

                return cs.Acquired && cs.AcquiredItems.SequenceEqual(["a", "c"]) && py.LastState == "ACQUIRED" && py.LastItems.SequenceEqual(["b", "d"]);
            },
            $"cs-1 with a,c and py-1 with b,d; cs-1 is {cs.State} ({cs.FailureReason}), py-1 {py.LastState} [{string.Join(",", py.LastItems)}] {py.StandardErrorTail()}");

        // The party's nodes are closed to a session without the credentials.
        await using var stranger = await Connect(server.ConnectString);
        await Assert.ThrowsAsync<NoAuthException>(() => stranger.GetChildrenAsync($"{path}/party").WaitAsync(WaitMax));
    }

    [Fact]
    public async Task ProtectedParty_AttacksByAStrangerAndByOtherCredentials_AreEachRefusedWithNoAuth_AndNoItemChangesOwner()
    {
        var path = server.UniqueRoot("acl-attack") + "/p";
        await using var zk = await Connect(server.ConnectString, null, Member);
        await using var observer = OwnershipObserver.Start(server.ConnectString, path, Items, Member);
        await using var first = Join(zk, path, "m-1");
        await using var second = Join(zk, path, "m-2");
        observer.Watch(first);
        observer.Watch(second);
        await Eventually(() => first.Acquired && second.Acquired && first.AcquiredItems.Count == 2, "both members Acquired with two items each");
        var before = (first.StateId, second.StateId, First: first.AcquiredItems.ToArray(), Second: second.AcquiredItems.ToArray());

        await using var stranger = await Connect(server.ConnectString);
        await using var intruder = await Connect(server.ConnectString, null, Other);
        foreach (var attacker in new[] { stranger, intruder })
        {
            foreach (var (what, attack) in await Attacks(zk, attacker, path))
            {
                var refused = await Assert.ThrowsAsync<NoAuthException>(() => attack().WaitAsync(WaitMax));
                Assert.True(refused.Code == ErrorCode.NoAuth, what);
            }
        }

        Assert.Equal((before.Item1, before.Item2), (first.StateId, second.StateId));
        Assert.Equal(before.First, first.AcquiredItems);
        Assert.Equal(before.Second, second.AcquiredItems);
        Assert.True(first.Acquired && second.Acquired);
        await observer.AssertNoViolations();
    }

    [Fact]
    public async Task OpenParty_TheSameAttacksByAStranger_AllSucceed()
    {
        var path = server.UniqueRoot("open-attack") + "/p";
        await using var zk = await Connect(server.ConnectString);
        await using var member = new SetPartitioner(zk, path, Items, Options("m-1"));
        await member.AssertAcquires();
        await using var stranger = await Connect(server.ConnectString);

        var attacks = await Attacks(zk, stranger, path);
        foreach (var (what, attack) in attacks)
        {
            await attack().WaitAsync(WaitMax);
        }

        Assert.Equal(8, attacks.Count);
    }

    [Fact]
    public async Task ProtectedParty_AMemberWithOtherCredentials_FailsNamingThePartyFolderAndTheCreatePermission()
    {
        var path = server.UniqueRoot("acl-other") + "/p";
        await using var zk = await Connect(server.ConnectString, null, Member);
        await using var owner = Join(zk, path, "m-1");
        await owner.AssertAcquires();
        await using var otherClient = await Connect(server.ConnectString, null, Other);

        await using var other = Join(otherClient, path, "m-2");

        await Eventually(() => other.Failed, $"m-2 Failed; it is {other.State}");
        Assert.Equal(
            $"create {path}/party/{other.Config.ContenderPrefix}-m-2 failed with NoAuth (-102): this member's identities lack the Create permission on {path}/party",
            other.FailureReason);
        Assert.True(owner.Acquired);
        Assert.Equal<string>(["m-1"], (await PartyMembers(zk, path)).ToArray());
    }

    [Fact]
    public async Task Member_WhoseCredentialsTheServerRefuses_EndsInFailureSayingSo()
    {
        var path = server.UniqueRoot("acl-refused") + "/p";
        await using var zk = await Connect(server.ConnectString);
        await using var member = new SetPartitioner(zk, path, Items, Options("m-1"));

        await Assert.ThrowsAsync<AuthFailedException>(() => zk.AddAuthAsync("no-such-scheme", "x").WaitAsync(WaitMax));

        await Eventually(() => member.Failed, $"m-1 Failed; it is {member.State}");
        Assert.Contains("refused this member's credentials", member.FailureReason, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Connect_WithCredentialsTheServerRefuses_ThrowsAuthFailed()
    {
        var options = new ZooKeeperClientOptions { Auth = [new AuthInfo("no-such-scheme", [1, 2, 3])] };

        await Assert.ThrowsAsync<AuthFailedException>(() => ZooKeeperClient.ConnectAsync(server.ConnectString, options).WaitAsync(WaitMax));
    }

    public void Dispose() => _children.Dispose();

    private static SetPartitioner Join(ZooKeeperClient client, string path, string identifier)
    {
        var options = Options(identifier);
        options.Acl = PartyAcl.CreatorAll;
        return new SetPartitioner(client, path, Items, options);
    }

    /// <summary>
    /// Every attack on a party: delete a holder's lock node, plant a contender in an item's folder, plant a party
    /// member, delete a member's party node, delete the party (its root and its party folder), and change data.
    /// The targets are read on the members' own session.
    /// </summary>
    private static async Task<List<(string What, Func<Task> Attack)>> Attacks(ZooKeeperClient owner, ZooKeeperClient attacker, string path)
    {
        var lockNode = (await Contenders(owner, path, "a"))[0];
        var partyNode = (await owner.GetChildrenAsync($"{path}/party")).Order(StringComparer.Ordinal).First();
        var fake = NextPrefix();
        return
        [
            ("change a lock node's data", () => attacker.SetDataAsync($"{path}/locks/a/{lockNode}", "x"u8.ToArray())),
            ("change the root's data", () => attacker.SetDataAsync(path, "x"u8.ToArray())),
            ("delete the holder's lock node", () => attacker.DeleteAsync($"{path}/locks/a/{lockNode}")),
            ("plant a contender", () => attacker.CreateAsync($"{path}/locks/b/{fake}__lock__", default, CreateMode.EphemeralSequential, Acl.OpenUnsafe)),
            ("plant a party member", () => attacker.CreateAsync($"{path}/party/{fake}-fake", default, CreateMode.Ephemeral, Acl.OpenUnsafe)),
            ("delete a member's party node", () => attacker.DeleteAsync($"{path}/party/{partyNode}")),
            ("delete the party folder", () => DeleteTree(attacker, $"{path}/party")),
            ("delete the party", () => DeleteTree(attacker, path)),
        ];
    }

    /// <summary>Deletes a node and everything under it, leaves first, as an attacker with the rights would.</summary>
    private static async Task DeleteTree(ZooKeeperClient client, string path)
    {
        for (var attempt = 0; ; attempt++)
        {
            try
            {
                foreach (var child in await client.GetChildrenAsync(path))
                {
                    await DeleteTree(client, $"{path}/{child}");
                }

                await client.DeleteAsync(path);
                return;
            }
            catch (NoNodeException)
            {
                return;
            }
            catch (NotEmptyException) when (attempt < 20)
            {
                // A live member re-created a node under it meanwhile: go again.
            }
        }
    }

    private ChildProcess StartKazooMember(string path, string identifier) =>
        _children.Add(ChildProcess.StartKazooMember(
            server.ConnectString, path, Items, identifier,
            new Dictionary<string, string> { ["PARTY_AUTH"] = Credentials }, "--digest-auth-env", "PARTY_AUTH"));
}
