using System.Collections.Immutable;
using System.Globalization;
using System.Text;

namespace Partitioner.Core;

/// <summary>ZooKeeper's ACL permissions; the numbers are the server's.</summary>
[Flags]
public enum AclPerms
{
    /// <summary>Nothing.</summary>
    None = 0,

    /// <summary>Read the node's data and list its children.</summary>
    Read = 1,

    /// <summary>Change the node's data.</summary>
    Write = 2,

    /// <summary>Create children of the node.</summary>
    Create = 4,

    /// <summary>Delete children of the node.</summary>
    Delete = 8,

    /// <summary>Change the node's ACL.</summary>
    Admin = 16,

    /// <summary>Everything.</summary>
    All = 31,
}

/// <summary>One ACL entry: an identity (a scheme and an id within it) and what it may do.</summary>
/// <param name="Perms">What the identity may do.</param>
/// <param name="Scheme">The scheme: <c>world</c>, <c>auth</c>, <c>digest</c>, <c>ip</c>, <c>x509</c>, ...</param>
/// <param name="Id">The id within the scheme: <c>anyone</c> for world, empty for auth, <c>user:base64(sha1(user:password))</c> for digest.</param>
public sealed record AclEntry(AclPerms Perms, string Scheme, string Id)
{
    /// <summary>The entry as ZooKeeper's command line writes it, <c>scheme:id:perms</c> with perms in <c>cdrwa</c> order.</summary>
    public override string ToString() => $"{Scheme}:{Id}:{PermsText(Perms)}";

    /// <summary>The permission letters of <paramref name="perms"/> in ZooKeeper's <c>cdrwa</c> order.</summary>
    public static string PermsText(AclPerms perms)
    {
        var text = new StringBuilder(5);
        foreach (var (perm, letter) in Letters)
        {
            if ((perms & perm) != 0)
            {
                text.Append(letter);
            }
        }

        return text.ToString();
    }

    /// <summary>Reads permission letters written by <see cref="PermsText"/>; null when a letter is unknown.</summary>
    public static AclPerms? ParsePerms(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        var perms = AclPerms.None;
        foreach (char c in text)
        {
            int index = Array.FindIndex(Letters, l => l.Letter == c);
            if (index < 0)
            {
                return null;
            }

            perms |= Letters[index].Perm;
        }

        return perms;
    }

    private static readonly (AclPerms Perm, char Letter)[] Letters =
        [(AclPerms.Create, 'c'), (AclPerms.Delete, 'd'), (AclPerms.Read, 'r'), (AclPerms.Write, 'w'), (AclPerms.Admin, 'a')];
}

/// <summary>
/// The ACLs the recipe gives the nodes it creates, by what the node is for. Members need to list and create
/// children of the containers (<c>P</c>'s missing ancestors, <c>P</c>, <c>P/locks</c>), to list, create and
/// delete children of the folders whose children they own (<c>P/party</c>, each <c>P/locks/&lt;item&gt;</c>),
/// and only to read their own party and lock nodes. ZooKeeper checks a create and a delete against the parent's
/// ACL, so <see cref="Folder"/> is what stops a stranger from deleting a member's node or planting one.
/// </summary>
/// <param name="Container">The ACL of <c>P</c>'s missing ancestors, <c>P</c> and <c>P/locks</c>.</param>
/// <param name="Folder">The ACL of <c>P/party</c> and of each lock folder <c>P/locks/&lt;item&gt;</c>.</param>
/// <param name="Node">The ACL of each party node and each lock node (ephemeral; nobody writes them).</param>
public sealed record PartyAcl(ImmutableArray<AclEntry> Container, ImmutableArray<AclEntry> Folder, ImmutableArray<AclEntry> Node)
{
    /// <summary>What members need on a container: list it and create children in it (folders are never deleted).</summary>
    public const AclPerms ContainerPerms = AclPerms.Read | AclPerms.Create;

    /// <summary>What members need on a folder: list it, create their nodes in it and delete them again.</summary>
    public const AclPerms FolderPerms = AclPerms.Read | AclPerms.Create | AclPerms.Delete;

    /// <summary>What members need on a party or lock node: read it (its data is the member's identifier).</summary>
    public const AclPerms NodePerms = AclPerms.Read;

    /// <summary>
    /// Every node open to everyone for everything (<c>world:anyone:cdrwa</c>), as kazoo's default: anyone who
    /// can reach ZooKeeper can delete a member's lock node, plant a member or delete the party.
    /// </summary>
    public static PartyAcl OpenUnsafe { get; } = Uniform([new AclEntry(AclPerms.All, "world", "anyone")]);

    /// <summary>
    /// Every node open only to the identities the creating member authenticated with (ZooKeeper's <c>auth</c>
    /// scheme, e.g. after digest auth with <c>user:password</c>), with the permissions members need and nothing
    /// more: no write, no ACL change, no delete on containers. Every member must use the same credentials; the
    /// server refuses the create with InvalidAcl when the session has none.
    /// </summary>
    public static PartyAcl CreatorAll { get; } = ForIdentities([("auth", "")]);

    /// <summary>
    /// Every node open only to the given identities, each with the permissions members need and nothing more
    /// (see <see cref="ContainerPerms"/>, <see cref="FolderPerms"/>, <see cref="NodePerms"/>).
    /// </summary>
    /// <param name="identities">Scheme and id pairs, e.g. <c>("digest", "user:base64(sha1(user:password))")</c>, <c>("x509", "CN=worker")</c>.</param>
    /// <exception cref="ArgumentException">The list is empty, or a scheme is empty or contains ':'.</exception>
    public static PartyAcl ForIdentities(IEnumerable<(string Scheme, string Id)> identities)
    {
        ArgumentNullException.ThrowIfNull(identities);
        var list = identities.ToList();
        ImmutableArray<AclEntry> With(AclPerms perms) => [.. list.Select(i => new AclEntry(perms, i.Scheme, i.Id))];
        var acl = new PartyAcl(With(ContainerPerms), With(FolderPerms), With(NodePerms));
        acl.Validate();
        return acl;
    }

    /// <summary>The same entries on every node, as given.</summary>
    /// <exception cref="ArgumentException">The list is empty, or an entry is not valid.</exception>
    public static PartyAcl Uniform(ImmutableArray<AclEntry> entries)
    {
        var acl = new PartyAcl(entries, entries, entries);
        acl.Validate();
        return acl;
    }

    /// <summary>Two ACLs are equal when their lists hold equal entries in the same order.</summary>
    public bool Equals(PartyAcl? other) =>
        other is not null
        && Container.SequenceEqual(other.Container) && Folder.SequenceEqual(other.Folder) && Node.SequenceEqual(other.Node);

    /// <summary>A hash of the lists' lengths; equal ACLs have equal lengths.</summary>
    public override int GetHashCode() => HashCode.Combine(Container.Length, Folder.Length, Node.Length);

    /// <summary>Throws an <see cref="ArgumentException"/> naming the first list or entry that ZooKeeper would refuse.</summary>
    public void Validate()
    {
        Check(Container, nameof(Container));
        Check(Folder, nameof(Folder));
        Check(Node, nameof(Node));
    }

    private static void Check(ImmutableArray<AclEntry> entries, string name)
    {
        if (entries.IsDefaultOrEmpty)
        {
            throw new ArgumentException($"The {name} ACL is empty; ZooKeeper refuses a node without an ACL entry.", name);
        }

        foreach (var entry in entries)
        {
            if (entry is null || string.IsNullOrEmpty(entry.Scheme) || entry.Scheme.Contains(':', StringComparison.Ordinal) || entry.Id is null)
            {
                throw new ArgumentException($"The {name} ACL entry '{entry}' needs a scheme without ':' and an id.", name);
            }

            if (entry.Perms is AclPerms.None || (entry.Perms & ~AclPerms.All) != 0)
            {
                throw new ArgumentException(
                    string.Create(CultureInfo.InvariantCulture, $"The {name} ACL entry '{entry.Scheme}:{entry.Id}' has permissions {(int)entry.Perms}, outside 1 to 31."),
                    name);
            }
        }
    }
}
