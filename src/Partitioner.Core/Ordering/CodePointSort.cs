using System.Numerics;

namespace Partitioner.Core;

/// <summary>
/// Sorts strings into <see cref="CodePointComparer"/>'s order by their characters rather than by whole-string
/// comparisons: a three-way radix quicksort, which partitions on one character position at a time and so reads each
/// character of a shared prefix about once. A comparison sort of 100,000 item names compares each pair's common
/// prefix again at every one of its 17 or so levels; building a member's configuration spent most of its time there.
/// </summary>
/// <remarks>
/// The order is the comparer's exactly: strings compare by the order key of their first differing UTF-16 unit, and a
/// string that is a prefix of another comes first (a position past a string's end sorts below every unit). A range
/// whose partitions keep coming out lopsided (which no input can force past the depth budget) is handed to
/// <see cref="Array.Sort{T}(T[], int, int, IComparer{T})"/> with the comparer, so the stack stays shallow whatever the
/// input. Equal strings end up next to each other; the sort is not stable, which equal strings cannot show.
/// </remarks>
internal static class CodePointSort
{
    // Ranges this small are finished by insertion: partitioning them costs more than it saves.
    private const int InsertionLengthMax = 12;

    /// <summary>Sorts <paramref name="values"/> (no null) in place, in code-point order.</summary>
    public static void Sort(string[] values) =>
        Sort(values, 2 * (BitOperations.Log2((uint)Math.Max(values?.Length ?? 0, 1)) + 1));

    /// <summary>
    /// Sorts <paramref name="values"/> in place with at most <paramref name="depthBudget"/> nested partitions before
    /// a range is handed to the comparison sort (the tests give none, to see that fallback keep the order).
    /// </summary>
    internal static void Sort(string[] values, int depthBudget)
    {
        ArgumentNullException.ThrowIfNull(values);
        Sort(values, 0, values.Length, 0, depthBudget);
    }

    /// <summary>Sorts <c>values[low..high)</c>, whose strings all share their first <paramref name="depth"/> units.</summary>
    private static void Sort(string[] values, int low, int high, int depth, int budget)
    {
        while (high - low > InsertionLengthMax)
        {
            if (budget == 0)
            {
                Array.Sort(values, low, high - low, CodePointComparer.Instance);
                return;
            }

            int pivot = MedianOfThree(KeyAt(values[low], depth), KeyAt(values[low + ((high - low) / 2)], depth), KeyAt(values[high - 1], depth));

            // Three ways: [low, below) under the pivot, [below, above) at it, [above, high) over it.
            int below = low;
            int at = low;
            int above = high;
            while (at < above)
            {
                int key = KeyAt(values[at], depth);
                if (key < pivot)
                {
                    (values[below], values[at]) = (values[at], values[below]);
                    below++;
                    at++;
                }
                else if (key > pivot)
                {
                    above--;
                    (values[above], values[at]) = (values[at], values[above]);
                }
                else
                {
                    at++;
                }
            }

            Sort(values, low, below, depth, budget - 1);
            Sort(values, above, high, depth, budget - 1);
            if (pivot < 0)
            {
                // The middle strings all end here: they are equal, so already in order.
                return;
            }

            // The middle strings share one more unit: go on with the next position, with no deeper stack.
            (low, high, depth) = (below, above, depth + 1);
        }

        for (int i = low + 1; i < high; i++)
        {
            string value = values[i];
            int j = i - 1;
            while (j >= low && CodePointComparer.Instance.Compare(values[j], value) > 0)
            {
                values[j + 1] = values[j];
                j--;
            }

            values[j + 1] = value;
        }
    }

    /// <summary>The order key of the unit at <paramref name="depth"/>, or -1 past the end (below every unit).</summary>
    private static int KeyAt(string value, int depth) => depth < value.Length ? CodePointComparer.OrderKey(value[depth]) : -1;

    private static int MedianOfThree(int a, int b, int c) =>
        a < b ? (b < c ? b : Math.Max(a, c)) : (a < c ? a : Math.Max(b, c));
}
