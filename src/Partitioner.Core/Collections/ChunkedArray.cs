namespace Partitioner.Core;

/// <summary>
/// A persistent array of fixed length, in chunks of <see cref="ChunkLength"/> values: a change copies the chunk it
/// touches and the short table of chunks, once per <see cref="Edit"/>, and changes them in place after that. A batch
/// of a few hundred neighbouring values therefore costs a chunk or two and one table, not a tree path per value as an
/// immutable sorted dictionary does, and a value costs its slot, not a tree node.
/// </summary>
/// <typeparam name="T">The values.</typeparam>
internal sealed class ChunkedArray<T>
{
    /// <summary>Values per chunk, unless the array was made with its own chunk length.</summary>
    public const int ChunkLength = 1 << DefaultChunkBits;

    private const int DefaultChunkBits = 8;

    private readonly Chunk[] _chunks;
    private readonly Edit? _owner;
    private readonly int _chunkBits;

    private ChunkedArray(Chunk[] chunks, int length, Edit? owner, int chunkBits)
    {
        _chunks = chunks;
        _owner = owner;
        _chunkBits = chunkBits;
        Length = length;
    }

    /// <summary>How many values there are.</summary>
    public int Length { get; }

    /// <summary>The value at <paramref name="index"/>.</summary>
    public T this[int index]
    {
        get
        {
            ArgumentOutOfRangeException.ThrowIfNegative(index);
            ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Length);
            return _chunks[index >> _chunkBits].Values[index & ((1 << _chunkBits) - 1)];
        }
    }

    /// <summary>
    /// An array of <paramref name="length"/> values, each <paramref name="value"/>, in chunks of 2^<paramref name="chunkBits"/>
    /// values. Made under <paramref name="edit"/>, that edit changes it in place (no chunk copied); made under none, every
    /// edit copies what it changes.
    /// </summary>
    public static ChunkedArray<T> Filled(int length, T value, Edit? edit = null, int chunkBits = DefaultChunkBits)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfLessThan(chunkBits, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(chunkBits, 20);
        int chunkLength = 1 << chunkBits;
        var chunks = new Chunk[(length + chunkLength - 1) >> chunkBits];
        for (int c = 0; c < chunks.Length; c++)
        {
            var values = new T[Math.Min(chunkLength, length - (c << chunkBits))];
            Array.Fill(values, value);
            chunks[c] = new Chunk(values, edit);
        }

        return new ChunkedArray<T>(chunks, length, edit, chunkBits);
    }

    /// <summary>
    /// The array with <paramref name="value"/> at <paramref name="index"/>. Under the <paramref name="edit"/> that made
    /// this array it changes this array in place and returns it; otherwise this array is left as it is.
    /// </summary>
    public ChunkedArray<T> SetItem(Edit edit, int index, T value)
    {
        ArgumentNullException.ThrowIfNull(edit);
        ArgumentOutOfRangeException.ThrowIfNegative(index);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(index, Length);
        var result = ReferenceEquals(_owner, edit) ? this : new ChunkedArray<T>((Chunk[])_chunks.Clone(), Length, edit, _chunkBits);
        int c = index >> _chunkBits;
        var chunk = result._chunks[c];
        if (!ReferenceEquals(chunk.Owner, edit))
        {
            chunk = new Chunk((T[])chunk.Values.Clone(), edit);
            result._chunks[c] = chunk;
        }

        chunk.Values[index & ((1 << _chunkBits) - 1)] = value;
        return result;
    }

    /// <summary>One chunk's values and the edit that may change them in place (none: no one may).</summary>
    private sealed class Chunk(T[] values, Edit? owner)
    {
        public T[] Values { get; } = values;

        public Edit? Owner { get; } = owner;
    }
}
