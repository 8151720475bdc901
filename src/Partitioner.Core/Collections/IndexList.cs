namespace Partitioner.Core;

/// <summary>
/// A persistent list of indices that only grows: an append under the <see cref="Edit"/> that made the list
/// writes into its buffer in place (amortized O(1), no node per value); under any other edit it copies first.
/// </summary>
internal sealed class IndexList
{
    private readonly Edit? _owner;
    private int[] _buffer;

    private IndexList(int[] buffer, int count, Edit? owner)
    {
        _buffer = buffer;
        Count = count;
        _owner = owner;
    }

    /// <summary>No index.</summary>
    public static IndexList Empty { get; } = new([], 0, null);

    /// <summary>How many indices there are.</summary>
    public int Count { get; private set; }

    /// <summary>True when there is none.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>The indices, in the order they were added.</summary>
    public ReadOnlySpan<int> AsSpan() => _buffer.AsSpan(0, Count);

    /// <summary>The list with <paramref name="index"/> added at its end (this list itself under the edit that made it).</summary>
    public IndexList Add(Edit edit, int index)
    {
        ArgumentNullException.ThrowIfNull(edit);
        var list = this;
        if (!ReferenceEquals(_owner, edit))
        {
            var copy = new int[Math.Max(8, Count * 2)];
            AsSpan().CopyTo(copy);
            list = new IndexList(copy, Count, edit);
        }
        else if (Count == _buffer.Length)
        {
            Array.Resize(ref _buffer, Math.Max(8, Count * 2));
        }

        list._buffer[list.Count++] = index;
        return list;
    }
}
