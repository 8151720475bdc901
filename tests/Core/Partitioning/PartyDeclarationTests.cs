using System.Collections.Immutable;
using System.Text;
using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Tests.Core.Partitioning;

/// <summary>
/// The declaration a cooperative member writes in its party node's data (format <c>partitioner/1</c>): its exact text,
/// the digest of the item set pinned to values computed by an independent implementation (a Python port of
/// SplitMix64 and StableHash), a round trip through the parser, and the parser's strictness. Culture independence is checked in tests/Culture
/// (this project runs with invariant globalization).
/// </summary>
public sealed class PartyDeclarationTests
{
    [Theory]
    [InlineData("", 0xf2ee2134306ff565UL)]
    [InlineData("a", 0xc072071191127d40UL)]
    [InlineData("a b", 0x91cc61ad0420c650UL)]
    [InlineData("0 1 2 3 4 5", 0x0fee53e555e53e6fUL)]
    [InlineData("queue-é ﬀ", 0x4c32d947abaea4b7UL)]
    public void DigestOf_IsPinnedForEverProcessAndRelease(string spaceSeparatedItems, ulong expected)
    {
        ImmutableArray<string> items = spaceSeparatedItems.Length == 0 ? [] : [.. spaceSeparatedItems.Split(' ')];

        Assert.Equal(expected, PartyDeclaration.DigestOf(items));
    }

    [Theory]
    [InlineData("ab", "a b")]
    [InlineData("a b", "a b c")]
    [InlineData("a", "b")]
    public void DigestOf_DifferentItemSets_Differ(string left, string right)
    {
        Assert.NotEqual(PartyDeclaration.DigestOf([.. left.Split(' ')]), PartyDeclaration.DigestOf([.. right.Split(' ')]));
    }

    [Fact]
    public void NodeData_Cooperative_IsTheIdentifierALineFeedAndTheDeclaration()
    {
        var config = Configs.For("w1", ["a", "b"], function: PartitionFunctions.Sticky) with { Rebalance = RebalanceMode.Cooperative };

        string data = Encoding.UTF8.GetString(PartyDeclarationFormat.NodeData(config).AsSpan());

        Assert.Equal("w1\npartitioner/1 rebalance=cooperative function=sticky items=91cc61ad0420c650", data);
    }

    [Fact]
    public void NodeData_Eager_IsTheIdentifierAloneAsKazooWritesIt()
    {
        var config = Configs.For("wörker-1", ["a"]);

        Assert.Equal(Encoding.UTF8.GetBytes("wörker-1"), PartyDeclarationFormat.NodeData(config).ToArray());
    }

    [Theory]
    [InlineData(null, "round-robin")]
    [InlineData("rr", "round-robin")]
    [InlineData("sticky", "sticky")]
    [InlineData("mine", "custom")]
    public void Create_NamesTheLibrarysFunctionsAndCallsOthersCustom(string? function, string expected)
    {
        PartitionFunction? chosen = function switch
        {
            null => null,
            "rr" => PartitionFunctions.RoundRobin,
            "sticky" => PartitionFunctions.Sticky,
            _ => (identifier, members, items) => items,
        };

        Assert.Equal(expected, Configs.For("a", ["x"], function: chosen).PartitionFunctionName);
    }

    [Theory]
    [InlineData("round-robin")]
    [InlineData("sticky")]
    [InlineData("my fn=1 é\n%")]
    [InlineData("A-Z_a.z~09")]
    public void Read_OfWhatIsWritten_GivesTheSameDeclaration(string function)
    {
        var declaration = new PartyDeclaration(RebalanceMode.Cooperative, function, 0x0123456789abcdefUL);
        byte[] data = Encoding.UTF8.GetBytes("w 1\n" + PartyDeclarationFormat.LineOf(declaration));

        var read = PartyDeclarationFormat.Read("w 1", data);

        Assert.Equal(new DeclarationRead.Declared(declaration), read);
    }

    [Fact]
    public void LineOf_EscapesEveryByteOutsideTheUnreservedSet()
    {
        var declaration = new PartyDeclaration(RebalanceMode.Eager, "my fn=é", 1);

        Assert.Equal("partitioner/1 rebalance=eager function=my%20fn%3D%C3%A9 items=0000000000000001", PartyDeclarationFormat.LineOf(declaration));
    }

    [Theory]
    [InlineData("")]
    [InlineData("w1")]
    [InlineData("something else entirely")]
    public void Read_DataWithoutALineFeed_DeclaresNothing(string data)
    {
        Assert.Equal(new DeclarationRead.None(), PartyDeclarationFormat.Read("w1", Encoding.UTF8.GetBytes(data)));
    }

    [Theory]
    [InlineData("w2\npartitioner/1 rebalance=cooperative function=sticky items=0123456789abcdef", "its first line is \"w2\", not the identifier \"w1\" of its node's name")]
    [InlineData("w1\npartitioner/2 rebalance=cooperative function=sticky items=0123456789abcdef", "it declares the format \"partitioner/2\"; this member reads partitioner/1 only")]
    [InlineData("w1\nkazoo/1", "its declaration line \"kazoo/1\" does not start with \"partitioner/\"")]
    [InlineData("w1\npartitioner/1 rebalance=cooperative function=sticky", "has 3 space-separated fields, not 4")]
    [InlineData("w1\npartitioner/1 rebalance=cooperative function=sticky items=0123456789abcdef extra=1", "has 5 space-separated fields, not 4")]
    [InlineData("w1\npartitioner/1  rebalance=cooperative function=sticky items=0123456789abcdef", "has 5 space-separated fields, not 4")]
    [InlineData("w1\npartitioner/1 function=sticky rebalance=cooperative items=0123456789abcdef", "the field \"function=sticky\" is not rebalance=...")]
    [InlineData("w1\npartitioner/1 rebalance=Cooperative function=sticky items=0123456789abcdef", "rebalance=\"Cooperative\" is neither eager nor cooperative")]
    [InlineData("w1\npartitioner/1 rebalance=cooperative function= items=0123456789abcdef", "function= is empty")]
    [InlineData("w1\npartitioner/1 rebalance=cooperative function=a%2 items=0123456789abcdef", "function=\"a%2\" has \"%\" at index 1")]
    [InlineData("w1\npartitioner/1 rebalance=cooperative function=a%3d items=0123456789abcdef", "function=\"a%3d\" has \"%\" at index 1")]
    [InlineData("w1\npartitioner/1 rebalance=cooperative function=a%FF items=0123456789abcdef", "function=\"a%FF\" is not UTF-8 once unescaped")]
    [InlineData("w1\npartitioner/1 rebalance=cooperative function=sticky items=0123456789ABCDEF", "items=\"0123456789ABCDEF\" is not 16 lowercase hex digits")]
    [InlineData("w1\npartitioner/1 rebalance=cooperative function=sticky items=123456789abcdef", "items=\"123456789abcdef\" is not 16 lowercase hex digits")]
    [InlineData("w1\npartitioner/1 rebalance=cooperative function=sticky items=0123456789abcdef\n", "items=\"0123456789abcdef\\u000A\" is not 16 lowercase hex digits")]
    public void Read_DataThatIsNotExactlyTheFormat_IsRefusedWithTheReason(string data, string reason)
    {
        var read = PartyDeclarationFormat.Read("w1", Encoding.UTF8.GetBytes(data));

        var refused = Assert.IsType<DeclarationRead.Unreadable>(read);
        Assert.Contains(reason, refused.Why, StringComparison.Ordinal);
    }

    [Fact]
    public void Read_InvalidUtf8_IsRefused()
    {
        var read = PartyDeclarationFormat.Read("w1", [0x77, 0x31, 0x0A, 0xC3, 0x28]);

        Assert.Equal(new DeclarationRead.Unreadable("it is not valid UTF-8"), read);
    }
}
