using BenchmarkDotNet.Attributes;
using ZooKeeper.Client;

namespace Partitioner.Benchmarks.Micro;

/// <summary>
/// The client's jute codec on a lock multi of 250 ephemeral sequential creates (the recipe's default batch): the
/// request encoded into a frame, and the server's reply (a path per create) decoded into the client's result.
/// </summary>
[MemoryDiagnoser]
public class JuteMultiBenchmarks
{
    private const int Ops = 250;
    private readonly ConnectionString _connection = ConnectionString.Parse("127.0.0.1:2181");
    private Op[] _ops = [];
    private byte[] _reply = [];

    [GlobalSetup]
    public void Setup()
    {
        _ops = [.. Enumerable.Range(0, Ops).Select(i => (Op)new CreateOp(
            $"/party/locks/item-{i}/0123456789abcdef0123456789abcdef__lock__", ReadOnlyMemory<byte>.Empty, CreateMode.EphemeralSequential, Acl.OpenUnsafe))];

        // The reply as the server writes it: a create result (header, then the created path) per op, then the end marker.
        var writer = new JuteWriter();
        for (int i = 0; i < Ops; i++)
        {
            writer.WriteInt(1);
            writer.WriteBool(false);
            writer.WriteInt(0);
            writer.WriteString($"/party/locks/item-{i}/0123456789abcdef0123456789abcdef__lock__{i:D10}");
        }

        MultiCodec.WriteEnd(writer);
        _reply = writer.ToFrame().AsSpan(4, writer.Length - 4).ToArray();
    }

    /// <summary>The multi request of 250 creates, encoded.</summary>
    [Benchmark]
    public byte[] EncodeMulti()
    {
        var writer = new JuteWriter();
        foreach (var op in _ops)
        {
            MultiCodec.WriteOp(writer, op, _connection);
        }

        MultiCodec.WriteEnd(writer);
        return writer.ToFrame();
    }

    /// <summary>Its reply of 250 created paths, decoded.</summary>
    [Benchmark]
    public MultiResult DecodeMultiReply()
    {
        var reader = new JuteReader(_reply);
        return MultiCodec.ReadMulti(ref reader, Ops, _connection, zxid: 1);
    }
}
