using Partitioner.Core;

namespace Partitioner.Tests.Core.Partitioning;

/// <summary>
/// The sticky assignment's hash must be the same in every process and release. Its scrambler is the SplitMix64
/// finalizer, checked against SplitMix64's published outputs for seed 0; the empty string hashes to the scrambled
/// seed, which is the first of them.
/// </summary>
public sealed class StableHashTests
{
    private const ulong Golden = 0x9E3779B97F4A7C15UL;

    [Theory]
    [InlineData(1UL, 0xE220A8397B1DCDAFUL)]
    [InlineData(2UL, 0x6E789E6AA1B965F4UL)]
    [InlineData(3UL, 0x06C45D188009454FUL)]
    public void Mix_OfSplitMix64sStates_GivesSplitMix64sOutputs(ulong step, ulong expected)
    {
        Assert.Equal(expected, StableHash.Mix(unchecked(Golden * step)));
    }

    [Fact]
    public void Of_TheEmptyString_IsTheScrambledSeed()
    {
        Assert.Equal(0xE220A8397B1DCDAFUL, StableHash.Of(""));
    }

    [Theory]
    [InlineData("a", "b")]
    [InlineData("abcd", "abce")]
    [InlineData("abcd", "abcd\0")]
    [InlineData("\0", "")]
    [InlineData("item-1", "item-10")]
    [InlineData("ab", "ba")]
    public void Of_StringsThatDifferInOneUnitOrTheLength_Differ(string left, string right)
    {
        Assert.NotEqual(StableHash.Of(left), StableHash.Of(right));
    }

    [Fact]
    public void MemberKey_OfAName_DiffersFromTheItemHashOfTheSameName()
    {
        Assert.NotEqual(StableHash.Of("x"), StableHash.MemberKey("x"));
    }
}
