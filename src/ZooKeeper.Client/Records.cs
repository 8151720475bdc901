using System.Security.Cryptography;
using System.Text;

namespace ZooKeeper.Client;

/// <summary>A node's metadata, as the server reports it.</summary>
/// <param name="Czxid">The zxid of the change that created the node.</param>
/// <param name="Mzxid">The zxid of the change that last modified the node's data.</param>
/// <param name="Ctime">Creation time, milliseconds since the Unix epoch (server clock).</param>
/// <param name="Mtime">Last modification time, milliseconds since the Unix epoch (server clock).</param>
/// <param name="Version">The number of changes to the data.</param>
/// <param name="Cversion">The number of changes to the children.</param>
/// <param name="Aversion">The number of changes to the ACL.</param>
/// <param name="EphemeralOwner">The owning session of an ephemeral node; 0 for other nodes.</param>
/// <param name="DataLength">The length of the data in bytes.</param>
/// <param name="NumChildren">The number of children.</param>
/// <param name="Pzxid">The zxid of the change that last modified the children.</param>
public sealed record Stat(
    long Czxid, long Mzxid, long Ctime, long Mtime, int Version, int Cversion, int Aversion,
    long EphemeralOwner, int DataLength, int NumChildren, long Pzxid);

/// <summary>An identity in an ACL: a scheme (world, auth, digest, ip) and an id within it.</summary>
/// <param name="Scheme">The scheme, such as "world" or "digest".</param>
/// <param name="Identity">The id within the scheme, such as "anyone" or "user:base64(sha1)".</param>
public sealed record Id(string Scheme, string Identity);

/// <summary>One entry of a node's access control list.</summary>
/// <param name="Perms">What the identity may do.</param>
/// <param name="Id">Who.</param>
public sealed record Acl(Perms Perms, Id Id)
{
    /// <summary>Everyone may do everything: <c>[{All, world:anyone}]</c>.</summary>
    public static IReadOnlyList<Acl> OpenUnsafe { get; } = [new Acl(Perms.All, new Id("world", "anyone"))];

    /// <summary>Everyone may read: <c>[{Read, world:anyone}]</c>.</summary>
    public static IReadOnlyList<Acl> ReadUnsafe { get; } = [new Acl(Perms.Read, new Id("world", "anyone"))];

    /// <summary>
    /// Every identity the creating session authenticated with may do everything (<c>[{All, auth:}]</c>).
    /// The server refuses it with InvalidAcl when the session has added no auth.
    /// </summary>
    public static IReadOnlyList<Acl> CreatorAll { get; } = [new Acl(Perms.All, new Id("auth", ""))];

    /// <summary>
    /// An entry for the digest scheme: the id is <c>user:base64(sha1("user:password"))</c>, which a session
    /// matches after <c>AddAuthAsync("digest", "user:password")</c>.
    /// </summary>
    /// <param name="user">The user name; must not contain ':'.</param>
    /// <param name="password">The password.</param>
    /// <param name="perms">The permissions granted.</param>
    public static Acl Digest(string user, string password, Perms perms)
    {
        ArgumentNullException.ThrowIfNull(user);
        ArgumentNullException.ThrowIfNull(password);
        if (user.Contains(':', StringComparison.Ordinal))
        {
            throw new ArgumentException($"The digest user '{user}' must not contain ':'.", nameof(user));
        }

        var hash = SHA1.HashData(Encoding.UTF8.GetBytes($"{user}:{password}"));
        return new Acl(perms, new Id("digest", $"{user}:{Convert.ToBase64String(hash)}"));
    }
}

/// <summary>How a node is created. The numbers are ZooKeeper's create flags.</summary>
public enum CreateMode
{
    /// <summary>Lives until deleted.</summary>
    Persistent = 0,
    /// <summary>Deleted when the creating session ends.</summary>
    Ephemeral = 1,
    /// <summary>Persistent, with a 10-digit sequence number appended by the server.</summary>
    PersistentSequential = 2,
    /// <summary>Ephemeral, with a 10-digit sequence number appended by the server.</summary>
    EphemeralSequential = 3,
    /// <summary>A container: the server deletes it some time after its last child is gone.</summary>
    Container = 4,
}

/// <summary>A watch notification, or a session event (<see cref="EventType.None"/>) delivered to watchers.</summary>
/// <param name="Type">What happened to the node, or None for a session event.</param>
/// <param name="State">The session state when it happened.</param>
/// <param name="Path">The node's path as the caller sees it (chroot removed); null for a session event.</param>
public sealed record WatchedEvent(EventType Type, KeeperState State, string? Path);

/// <summary>
/// A watch in awaitable form: pass <see cref="Callback"/> as the watcher and await <see cref="Task"/>.
/// </summary>
public sealed class AwaitableWatch
{
    private readonly TaskCompletionSource<WatchedEvent> _fired = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Creates an unfired watch.</summary>
    public AwaitableWatch() => Callback = e => _fired.TrySetResult(e);

    /// <summary>The callback to hand to a read that leaves a watch.</summary>
    public Action<WatchedEvent> Callback { get; }

    /// <summary>Completes with the first event delivered to <see cref="Callback"/>.</summary>
    public Task<WatchedEvent> Task => _fired.Task;
}

/// <summary>The state of a client's session.</summary>
public enum ZooKeeperState
{
    /// <summary>Connecting for the first time.</summary>
    Connecting,
    /// <summary>Connected; requests are accepted.</summary>
    Connected,
    /// <summary>The connection was lost and the client is reconnecting; the session may still be alive. Requests fail with ConnectionLoss.</summary>
    Suspended,
    /// <summary>The server expired the session. Terminal.</summary>
    Expired,
    /// <summary>The server refused the credentials. Terminal.</summary>
    AuthFailed,
    /// <summary>The client was closed. Terminal.</summary>
    Closed,
}

/// <summary>A change of session state, raised in order by <see cref="ZooKeeperClient.StateChanged"/>.</summary>
public enum SessionEvent
{
    /// <summary>The first connection was made and the session created.</summary>
    Connected,
    /// <summary>The connection was lost; the session may still be alive.</summary>
    Suspended,
    /// <summary>Connected again, with the same session.</summary>
    Reconnected,
    /// <summary>The session expired (lost): ephemeral nodes and watches are gone.</summary>
    Expired,
    /// <summary>The server refused the credentials (lost).</summary>
    AuthFailed,
    /// <summary>The client was closed (lost).</summary>
    Closed,
}
