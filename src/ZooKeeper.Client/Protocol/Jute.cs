using System.Buffers.Binary;
using System.Text;

namespace ZooKeeper.Client;

/// <summary>A fault in what the server sent: the connection that carried it cannot be trusted any more.</summary>
internal sealed class ProtocolException(string message) : Exception(message);

/// <summary>
/// Writes one frame in jute encoding (big-endian, length-prefixed buffers and strings, -1 for null).
/// The first four bytes are the frame length, filled in by <see cref="ToFrame"/>.
/// </summary>
internal sealed class JuteWriter
{
    private byte[] _buffer;
    private int _length;

    public JuteWriter(int capacity = 256)
    {
        _buffer = new byte[Math.Max(capacity, 16)];
        _length = 4;
    }

    public int Length => _length;

    public void WriteInt(int value) => BinaryPrimitives.WriteInt32BigEndian(Grow(4), value);

    public void WriteLong(long value) => BinaryPrimitives.WriteInt64BigEndian(Grow(8), value);

    public void WriteBool(bool value) => Grow(1)[0] = value ? (byte)1 : (byte)0;

    public void WriteBuffer(ReadOnlySpan<byte> value)
    {
        WriteInt(value.Length);
        value.CopyTo(Grow(value.Length));
    }

    public void WriteString(string value)
    {
        var count = Encoding.UTF8.GetByteCount(value);
        WriteInt(count);
        Encoding.UTF8.GetBytes(value, Grow(count));
    }

    public void WriteStrings(IReadOnlyList<string> values)
    {
        WriteInt(values.Count);
        foreach (var value in values)
        {
            WriteString(value);
        }
    }

    public void WriteAcls(IReadOnlyList<Acl> acls)
    {
        WriteInt(acls.Count);
        foreach (var acl in acls)
        {
            WriteInt((int)acl.Perms);
            WriteString(acl.Id.Scheme);
            WriteString(acl.Id.Identity);
        }
    }

    /// <summary>Fills in the length prefix and returns the frame (the array may be longer than <see cref="Length"/>).</summary>
    public byte[] ToFrame()
    {
        BinaryPrimitives.WriteInt32BigEndian(_buffer, _length - 4);
        return _buffer;
    }

    private Span<byte> Grow(int count)
    {
        if (_length + count > _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(_buffer.Length * 2, _length + count));
        }

        var span = _buffer.AsSpan(_length, count);
        _length += count;
        return span;
    }
}

/// <summary>Reads jute values from one received frame; any inconsistency is a <see cref="ProtocolException"/>.</summary>
internal ref struct JuteReader(ReadOnlySpan<byte> frame)
{
    private readonly ReadOnlySpan<byte> _frame = frame;
    private int _position;

    public readonly int Remaining => _frame.Length - _position;

    public int ReadInt() => BinaryPrimitives.ReadInt32BigEndian(Take(4));

    public long ReadLong() => BinaryPrimitives.ReadInt64BigEndian(Take(8));

    public bool ReadBool() => Take(1)[0] != 0;

    public byte[]? ReadBuffer()
    {
        var count = ReadLength("buffer");
        return count < 0 ? null : Take(count).ToArray();
    }

    public string? ReadString()
    {
        var count = ReadLength("string");
        return count < 0 ? null : Encoding.UTF8.GetString(Take(count));
    }

    public List<string> ReadStrings()
    {
        var count = ReadLength("vector");
        var values = new List<string>(Math.Max(count, 0));
        for (var i = 0; i < count; i++)
        {
            values.Add(ReadString() ?? throw new ProtocolException("a null string inside a string vector"));
        }

        return values;
    }

    public Stat ReadStat() => new(
        Czxid: ReadLong(),
        Mzxid: ReadLong(),
        Ctime: ReadLong(),
        Mtime: ReadLong(),
        Version: ReadInt(),
        Cversion: ReadInt(),
        Aversion: ReadInt(),
        EphemeralOwner: ReadLong(),
        DataLength: ReadInt(),
        NumChildren: ReadInt(),
        Pzxid: ReadLong());

    /// <summary>Reads a length and checks that it fits in what is left (-1 is null).</summary>
    private int ReadLength(string what)
    {
        var count = ReadInt();
        if (count < -1 || count > Remaining)
        {
            throw new ProtocolException($"a {what} length of {count} with {Remaining} bytes left in the frame");
        }

        return count;
    }

    private ReadOnlySpan<byte> Take(int count)
    {
        if (count > Remaining)
        {
            throw new ProtocolException($"the frame ended early: {count} bytes wanted, {Remaining} left");
        }

        var span = _frame.Slice(_position, count);
        _position += count;
        return span;
    }
}
