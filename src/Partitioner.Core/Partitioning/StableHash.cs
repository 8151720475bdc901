namespace Partitioner.Core;

/// <summary>
/// A 64-bit hash of a string that is the same in every process, on every machine, for ever: what the sticky
/// assignment's weights are made of. <c>string.GetHashCode</c> is randomized per process, and a package's
/// hash could change under an upgrade; members of one party that hashed differently would contend for the same
/// locks, so the hash is written out here and must never change (a test pins its values).
/// </summary>
/// <remarks>
/// The string is read as UTF-16 code units, four to a 64-bit block; each block is xored into the state, which is then
/// scrambled with the SplitMix64 finalizer (Steele, Lea and Flood), whose constants are chosen so that every input
/// bit flips about half the output bits. The length is folded in first, so that strings that differ only by trailing
/// NUL units still differ. It is not a cryptographic hash: item and member names are not adversaries here, and a
/// name chosen to collide only moves one item.
/// </remarks>
internal static class StableHash
{
    private const ulong Seed = 0x9E3779B97F4A7C15UL;

    // Separates the member keys from the item hashes, so that an item and a member with one name are not the same key.
    private const ulong MemberSalt = 0x632BE59BD9B4E019UL;

    /// <summary>The hash of <paramref name="text"/>.</summary>
    public static ulong Of(string text)
    {
        ulong state = Mix(Seed ^ (ulong)text.Length);
        int i = 0;
        for (; i + 4 <= text.Length; i += 4)
        {
            ulong block = text[i] | ((ulong)text[i + 1] << 16) | ((ulong)text[i + 2] << 32) | ((ulong)text[i + 3] << 48);
            state = Mix(state ^ block);
        }

        if (i < text.Length)
        {
            ulong tail = 0;
            for (int shift = 0; i < text.Length; i++, shift += 16)
            {
                tail |= (ulong)text[i] << shift;
            }

            state = Mix(state ^ tail);
        }

        return state;
    }

    /// <summary>A member's key, mixed once so that <see cref="Weight"/> needs one scramble per pair.</summary>
    public static ulong MemberKey(string member) => Mix(Of(member) + MemberSalt);

    /// <summary>The weight of an (item, member) pair, from the item's hash and the member's key.</summary>
    public static ulong Weight(ulong itemHash, ulong memberKey) => Mix(itemHash ^ memberKey);

    /// <summary>The SplitMix64 finalizer: a bijection on 64 bits with full avalanche.</summary>
    internal static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }
}
