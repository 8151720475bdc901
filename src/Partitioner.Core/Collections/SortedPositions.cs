using System.Collections.Immutable;

namespace Partitioner.Core;

/// <summary>
/// Finds values in an array sorted by code point (the items of the configuration, or a share), cheaply when they come
/// in ascending order, as batches of items do: each search starts from the last one found and gallops forward, so a
/// run of neighbours costs one ordinal equality each rather than a full binary search of string comparisons.
/// </summary>
internal struct SortedPositions(ImmutableArray<string> sorted)
{
    private int _next;

    /// <summary>The index of <paramref name="value"/> in the sorted array, or -1 when it is not there.</summary>
    public int Find(string value)
    {
        var values = sorted;
        if (_next < values.Length && string.Equals(values[_next], value, StringComparison.Ordinal))
        {
            return _next++;
        }

        int low;
        int high;
        if (_next < values.Length && CodePointComparer.Instance.Compare(values[_next], value) < 0)
        {
            // Gallop forward from the last position: the bound doubles until it passes the value.
            int step = 1;
            low = _next + 1;
            high = low;
            while (high < values.Length && CodePointComparer.Instance.Compare(values[high], value) < 0)
            {
                low = high + 1;
                step <<= 1;
                high = _next + step;
            }

            high = Math.Min(high, values.Length - 1);
        }
        else
        {
            low = 0;
            high = Math.Min(_next, values.Length - 1);
        }

        int found = low <= high ? values.AsSpan(low, high - low + 1).BinarySearch(value, CodePointComparer.Instance) : -1;
        if (found < 0)
        {
            return -1;
        }

        _next = low + found + 1;
        return low + found;
    }
}
