namespace Partitioner.Core;

/// <summary>
/// Orders strings by Unicode code point, as Python's <c>sorted</c> does for <c>str</c>.
/// </summary>
/// <remarks>
/// Ordinal (UTF-16) order differs from code-point order when a string holds a character above
/// U+FFFF: its surrogate pair (U+D800..U+DFFF) sorts below U+E000..U+FFFF in UTF-16 but above them by
/// code point. Every member of a party, C# or Python, must sort members and items the same way, or they
/// compute different shares and fight over locks (kazoo issue #392), so Core sorts with this comparer.
/// A lone surrogate is compared as if it were a supplementary character; such strings cannot be znode
/// names anyway.
/// </remarks>
public sealed class CodePointComparer : IComparer<string>
{
    /// <summary>The one instance.</summary>
    public static CodePointComparer Instance { get; } = new();

    private CodePointComparer()
    {
    }

    /// <inheritdoc />
    public int Compare(string? x, string? y)
    {
        if (ReferenceEquals(x, y))
        {
            return 0;
        }

        if (x is null)
        {
            return -1;
        }

        if (y is null)
        {
            return 1;
        }

        // The common prefix is found with the vectorized span search; only the first differing unit needs the key.
        int common = x.AsSpan().CommonPrefixLength(y);
        if (common < x.Length && common < y.Length)
        {
            return OrderKey(x[common]).CompareTo(OrderKey(y[common]));
        }

        return x.Length.CompareTo(y.Length);
    }

    /// <summary>True when every string is above the one before it: a sort can be skipped (callers often pass sorted sets).</summary>
    internal static bool IsStrictlyAscending(ReadOnlySpan<string> values)
    {
        for (int i = 1; i < values.Length; i++)
        {
            if (Instance.Compare(values[i - 1], values[i]) >= 0)
            {
                return false;
            }
        }

        return true;
    }

    // At the first differing UTF-16 unit, moving surrogates above U+E000..U+FFFF makes the
    // comparison agree with code-point order: a surrogate pair always encodes a code point above U+FFFF,
    // and the pair's first units compare in code-point order among themselves.
    internal static int OrderKey(char c) => c switch
    {
        >= '\uD800' and <= '\uDFFF' => c + 0x2000,
        >= '\uE000' => c - 0x800,
        _ => c,
    };
}
