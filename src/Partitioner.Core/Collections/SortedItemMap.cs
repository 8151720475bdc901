using System.Collections;

namespace Partitioner.Core;

/// <summary>
/// A persistent map from item names, in code-point order, to values, kept as sorted chunks of at most
/// <see cref="ChunkLength"/> entries. A change copies the chunk it touches and the table of chunks, once per
/// <see cref="Edit"/>, and changes them in place after that, so recording a batch of a few hundred neighbouring
/// items costs a chunk or two and one table, not a tree path per item; an entry costs its two slots, not a tree
/// node. Items added in ascending order (a round's batches) are appended: no search, no split, full chunks.
/// </summary>
/// <remarks>
/// The same rule as <see cref="ChunkedArray{T}"/>: a map made under one edit is changed in place by that edit only
/// (the map it returns is then this one), so a caller that keeps an earlier version of a map within one decision
/// must not change it under that decision's edit. Every other edit copies first; states once returned never change.
/// </remarks>
/// <typeparam name="TValue">The values.</typeparam>
internal sealed class SortedItemMap<TValue> : IEnumerable<KeyValuePair<string, TValue>>
{
    /// <summary>The most entries in one chunk.</summary>
    public const int ChunkLength = 128;

    private const int ChunkCapacityMin = 4;

    private readonly Edit? _owner;
    private Chunk[] _chunks;
    private int _chunkCount;

    private SortedItemMap(Chunk[] chunks, int chunkCount, int count, Edit? owner)
    {
        _chunks = chunks;
        _chunkCount = chunkCount;
        Count = count;
        _owner = owner;
    }

    /// <summary>No entry.</summary>
    public static SortedItemMap<TValue> Empty { get; } = new([], 0, 0, null);

    /// <summary>How many entries there are.</summary>
    public int Count { get; private set; }

    /// <summary>True when there is no entry.</summary>
    public bool IsEmpty => Count == 0;

    /// <summary>The items, in code-point order.</summary>
    public IEnumerable<string> Keys
    {
        get
        {
            foreach (var entry in this)
            {
                yield return entry.Key;
            }
        }
    }

    /// <summary>The value of <paramref name="key"/>; throws <see cref="KeyNotFoundException"/> when it has none.</summary>
    public TValue this[string key] => TryGetValue(key, out var value)
        ? value
        : throw new KeyNotFoundException($"The item {ZnodeNameRules.Quote(key)} is not in the map.");

    /// <summary>True when <paramref name="key"/> has a value.</summary>
    public bool ContainsKey(string key) => TryGetValue(key, out _);

    /// <summary>The value of <paramref name="key"/>, if it has one.</summary>
    public bool TryGetValue(string key, out TValue value)
    {
        ArgumentNullException.ThrowIfNull(key);
        if (_chunkCount > 0 && !IsAboveLast(key))
        {
            var chunk = _chunks[ChunkFor(key)];
            int at = chunk.IndexOf(key);
            if (at >= 0)
            {
                value = chunk.Values[at];
                return true;
            }
        }

        value = default!;
        return false;
    }

    /// <summary>The map with <paramref name="key"/> set to <paramref name="value"/> (this map itself under the edit that made it).</summary>
    public SortedItemMap<TValue> SetItem(Edit edit, string key, TValue value)
    {
        ArgumentNullException.ThrowIfNull(edit);
        ArgumentNullException.ThrowIfNull(key);
        var map = Owned(edit);
        if (map._chunkCount == 0)
        {
            map.InsertChunk(0, Chunk.Single(key, value, edit, ChunkCapacityMin));
            map.Count = 1;
            return map;
        }

        // A key above every other (a round's batches come ascending) goes at the end with one comparison, no search;
        // past the end of a full last chunk it starts a new chunk, leaving that one full. So it does past a last chunk
        // that is at least half full and was made by an earlier decision: copying that chunk to add a batch after it
        // cost a chunk of garbage per batch (a first allocation of 100,000 items appends 800 batches).
        int c;
        int at;
        if (map.IsAboveLast(key))
        {
            c = map._chunkCount - 1;
            var last = map._chunks[c];
            if (last.Count == ChunkLength || (last.Count >= ChunkLength / 2 && !ReferenceEquals(last.Owner, edit)))
            {
                map.InsertChunk(c + 1, Chunk.Single(key, value, edit, ChunkLength));
                map.Count++;
                return map;
            }

            at = map._chunks[c].Count;
        }
        else
        {
            c = map.ChunkFor(key);
            at = map._chunks[c].IndexOf(key);
            if (at >= 0)
            {
                map.OwnedChunk(edit, c).Values[at] = value;
                return map;
            }

            at = ~at;
        }

        var chunk = map.OwnedChunk(edit, c);
        if (chunk.Count == ChunkLength)
        {
            var upper = chunk.SplitUpperHalf(edit);
            map.InsertChunk(c + 1, upper);
            if (at > chunk.Count)
            {
                (chunk, at) = (upper, at - chunk.Count);
            }
        }

        chunk.Insert(at, key, value);
        map.Count++;
        return map;
    }

    /// <summary>The map without <paramref name="key"/> (this map itself under the edit that made it, or when the key is absent).</summary>
    public SortedItemMap<TValue> Remove(Edit edit, string key)
    {
        ArgumentNullException.ThrowIfNull(edit);
        ArgumentNullException.ThrowIfNull(key);
        if (_chunkCount == 0)
        {
            return this;
        }

        int c = ChunkFor(key);
        int at = _chunks[c].IndexOf(key);
        if (at < 0)
        {
            return this;
        }

        var map = Owned(edit);
        var chunk = map.OwnedChunk(edit, c);
        chunk.RemoveAt(at);
        map.Count--;
        if (chunk.Count == 0)
        {
            Array.Copy(map._chunks, c + 1, map._chunks, c, map._chunkCount - c - 1);
            map._chunks[--map._chunkCount] = null!;
        }

        return map;
    }

    /// <summary>The map without every key of <paramref name="keys"/>.</summary>
    public SortedItemMap<TValue> RemoveRange(Edit edit, IEnumerable<string> keys)
    {
        ArgumentNullException.ThrowIfNull(keys);
        var map = this;
        foreach (string key in keys)
        {
            map = map.Remove(edit, key);
        }

        return map;
    }

    /// <summary>A walk of the entries in code-point order, for a caller that asks for keys in that order.</summary>
    public Cursor Walk() => new(this);

    /// <summary>The entries in code-point order.</summary>
    public Enumerator GetEnumerator() => new(this);

    IEnumerator<KeyValuePair<string, TValue>> IEnumerable<KeyValuePair<string, TValue>>.GetEnumerator() => GetEnumerator();

    IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();

    /// <summary>True when <paramref name="key"/> is above every key of this (non-empty) map.</summary>
    private bool IsAboveLast(string key) => CodePointComparer.Instance.Compare(key, _chunks[_chunkCount - 1].LastKey) > 0;

    /// <summary>
    /// The chunk where <paramref name="key"/> is or belongs: the first whose last key is not below it, or the last
    /// chunk when every key is below it. Keys above the last one are checked first, since additions come ascending.
    /// </summary>
    private int ChunkFor(string key)
    {
        int last = _chunkCount - 1;
        if (CodePointComparer.Instance.Compare(key, _chunks[last].LastKey) >= 0)
        {
            return last;
        }

        int low = 0;
        int high = last;
        while (low < high)
        {
            int middle = low + ((high - low) >> 1);
            if (CodePointComparer.Instance.Compare(_chunks[middle].LastKey, key) < 0)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }

    /// <summary>This map if <paramref name="edit"/> made it, else a copy of its table (its used part and a slot to grow) that it did.</summary>
    private SortedItemMap<TValue> Owned(Edit edit)
    {
        if (ReferenceEquals(_owner, edit))
        {
            return this;
        }

        var chunks = new Chunk[_chunkCount + 1];
        Array.Copy(_chunks, chunks, _chunkCount);
        return new SortedItemMap<TValue>(chunks, _chunkCount, Count, edit);
    }

    private Chunk OwnedChunk(Edit edit, int c)
    {
        var chunk = _chunks[c];
        if (!ReferenceEquals(chunk.Owner, edit))
        {
            chunk = chunk.CopyFor(edit);
            _chunks[c] = chunk;
        }

        return chunk;
    }

    private void InsertChunk(int at, Chunk chunk)
    {
        if (_chunkCount == _chunks.Length)
        {
            Array.Resize(ref _chunks, Math.Max(4, _chunks.Length * 2));
        }

        Array.Copy(_chunks, at, _chunks, at + 1, _chunkCount - at);
        _chunks[at] = chunk;
        _chunkCount++;
    }

    /// <summary>
    /// Walks the entries alongside keys asked for in code-point order: each answer costs a step or two, not a search.
    /// A key asked for out of order is searched for. A class, not a struct: a struct in a using statement is read-only.
    /// </summary>
    internal sealed class Cursor(SortedItemMap<TValue> map)
    {
        private int _chunk;
        private int _at;
        private string? _last;

        /// <summary>The value of <paramref name="key"/>, if it has one.</summary>
        public bool TryGet(string key, out TValue value)
        {
            if (_last is not null && CodePointComparer.Instance.Compare(key, _last) <= 0)
            {
                return map.TryGetValue(key, out value);
            }

            _last = key;
            while (_chunk < map._chunkCount)
            {
                var chunk = map._chunks[_chunk];
                if (CodePointComparer.Instance.Compare(chunk.LastKey, key) < 0)
                {
                    (_chunk, _at) = (_chunk + 1, 0);
                    continue;
                }

                while (CodePointComparer.Instance.Compare(chunk.Keys[_at], key) < 0)
                {
                    _at++;
                }

                if (string.Equals(chunk.Keys[_at], key, StringComparison.Ordinal))
                {
                    value = chunk.Values[_at];
                    return true;
                }

                break;
            }

            value = default!;
            return false;
        }
    }

    /// <summary>Enumerates the entries in code-point order.</summary>
    internal struct Enumerator(SortedItemMap<TValue> map) : IEnumerator<KeyValuePair<string, TValue>>
    {
        private int _chunk;
        private int _at = -1;

        public readonly KeyValuePair<string, TValue> Current
        {
            get
            {
                var chunk = map._chunks[_chunk];
                return new KeyValuePair<string, TValue>(chunk.Keys[_at], chunk.Values[_at]);
            }
        }

        readonly object IEnumerator.Current => Current;

        public bool MoveNext()
        {
            while (_chunk < map._chunkCount)
            {
                if (++_at < map._chunks[_chunk].Count)
                {
                    return true;
                }

                (_chunk, _at) = (_chunk + 1, -1);
            }

            return false;
        }

        public void Reset() => (_chunk, _at) = (0, -1);

        public readonly void Dispose()
        {
        }
    }

    /// <summary>Up to <see cref="ChunkLength"/> entries in key order, and the edit that may change them in place (none: no one may).</summary>
    private sealed class Chunk(string[] keys, TValue[] values, int count, Edit? owner)
    {
        public string[] Keys { get; private set; } = keys;

        public TValue[] Values { get; private set; } = values;

        public int Count { get; private set; } = count;

        public Edit? Owner { get; } = owner;

        public string LastKey => Keys[Count - 1];

        /// <summary>A chunk of one entry with room for <paramref name="capacity"/>: the first chunk starts small, one after a full chunk at full size.</summary>
        public static Chunk Single(string key, TValue value, Edit edit, int capacity)
        {
            var keys = new string[capacity];
            var values = new TValue[capacity];
            keys[0] = key;
            values[0] = value;
            return new Chunk(keys, values, 1, edit);
        }

        /// <summary>The index of <paramref name="key"/>, or the complement of where it belongs.</summary>
        public int IndexOf(string key) => Keys.AsSpan(0, Count).BinarySearch(key, CodePointComparer.Instance);

        /// <summary>
        /// A copy that <paramref name="edit"/> may change, with room to grow: a batch of additions then costs one copy
        /// of the chunk, not one per doubling. A chunk half full or more gets its full size, as it will after its split.
        /// </summary>
        public Chunk CopyFor(Edit edit)
        {
            int capacity = Count >= ChunkLength / 2 ? ChunkLength : Math.Max(ChunkCapacityMin, 2 * Count);
            var keys = new string[capacity];
            var values = new TValue[capacity];
            Array.Copy(Keys, keys, Count);
            Array.Copy(Values, values, Count);
            return new Chunk(keys, values, Count, edit);
        }

        /// <summary>Moves the upper half of this (owned, full) chunk into a new chunk owned by <paramref name="edit"/>.</summary>
        public Chunk SplitUpperHalf(Edit edit)
        {
            int keep = Count / 2;
            int moved = Count - keep;
            var keys = new string[ChunkLength];
            var values = new TValue[ChunkLength];
            Array.Copy(Keys, keep, keys, 0, moved);
            Array.Copy(Values, keep, values, 0, moved);
            Array.Clear(Keys, keep, moved);
            Array.Clear(Values, keep, moved);
            Count = keep;
            return new Chunk(keys, values, moved, edit);
        }

        public void Insert(int at, string key, TValue value)
        {
            if (Count == Keys.Length)
            {
                int capacity = Math.Min(ChunkLength, Keys.Length * 2);
                var keys = Keys;
                var values = Values;
                Array.Resize(ref keys, capacity);
                Array.Resize(ref values, capacity);
                (Keys, Values) = (keys, values);
            }

            Array.Copy(Keys, at, Keys, at + 1, Count - at);
            Array.Copy(Values, at, Values, at + 1, Count - at);
            Keys[at] = key;
            Values[at] = value;
            Count++;
        }

        public void RemoveAt(int at)
        {
            Count--;
            Array.Copy(Keys, at + 1, Keys, at, Count - at);
            Array.Copy(Values, at + 1, Values, at, Count - at);
            Keys[Count] = null!;
            Values[Count] = default!;
        }
    }
}
