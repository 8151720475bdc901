using System.Collections.Immutable;
using System.Text;
using Partitioner.Core;

namespace Partitioner.Simulation.Network;

/// <summary>
/// The size of a reply frame as ZooKeeper encodes it (jute, without the 4-byte length prefix), for the
/// client's frame limit: a 16-byte reply header (xid, zxid, error), strings and vectors as a 4-byte length
/// and their bytes, and in a multi or multiRead a 9-byte header (type, done, error) per result and at the end.
/// </summary>
internal static class ReplySize
{
    /// <summary>The reply header alone (a delete, a sync, an error).</summary>
    public const int Header = 16;

    private const int MultiHeader = 9;

    public static int Create(string? createdPath) => Header + (createdPath is null ? 0 : String(createdPath));

    public static int Children(ImmutableArray<string> children) => Header + Vector(children);

    public static int Multi(ImmutableArray<WriteResult> results)
    {
        int size = Header + MultiHeader;
        foreach (var result in results)
        {
            size += MultiHeader + (result.CreatedPath is { } path ? String(path) : result.Error == ZooKeeperError.Ok ? 0 : 4);
        }

        return size;
    }

    /// <summary>A multiRead of getData: each node's data (a lock node's identifier, counted at its 64-character maximum) and its 68-byte stat.</summary>
    public static int MultiStat(ImmutableArray<StatResult> results)
    {
        int size = Header + MultiHeader;
        foreach (var result in results)
        {
            size += MultiHeader + (result.Error == ZooKeeperError.Ok ? 4 + 64 + 68 : 4);
        }

        return size;
    }

    /// <summary>A multiRead of getData that returns the data: each node's data as it is, and its 68-byte stat.</summary>
    public static int MultiData(ImmutableArray<DataResult> results)
    {
        int size = Header + MultiHeader;
        foreach (var result in results)
        {
            size += MultiHeader + (result.Error == ZooKeeperError.Ok ? 4 + result.Data.Length + 68 : 4);
        }

        return size;
    }

    public static int MultiRead(ImmutableArray<ChildrenResult> results)
    {
        int size = Header + MultiHeader;
        foreach (var result in results)
        {
            size += MultiHeader + (result.Error == ZooKeeperError.Ok ? Vector(result.Children) : 4);
        }

        return size;
    }

    private static int Vector(ImmutableArray<string> values)
    {
        int size = 4;
        foreach (var value in values)
        {
            size += String(value);
        }

        return size;
    }

    private static int String(string value) => 4 + Encoding.UTF8.GetByteCount(value);
}
