using System.Text;
using Partitioner.Core;
using Partitioner.Tests.Support.Core;

namespace Partitioner.Culture.Tests;

/// <summary>
/// The declaration a cooperative member writes in its party node (mode, function, item digest) under cultures whose
/// casing and collation are not the invariant's: members in different cultures must write and read the same text, or
/// two agreeing members would report a mismatch. The expected digest comes from an independent implementation.
/// </summary>
public sealed class DeclarationCultureTests
{
    public static TheoryData<string> Cultures => ["tr-TR", "sv-SE", "ar-SA", "en-US"];

    [Theory]
    [MemberData(nameof(Cultures))]
    public void Declaration_UnderEachCulture_IsWrittenAndReadAsInTheInvariantCulture(string culture)
    {
        using var scope = new CultureScope(culture);
        var config = Configs.For("Iı", ["ı", "İ", "i", "I"], function: PartitionFunctions.Sticky) with { Rebalance = RebalanceMode.Cooperative };

        byte[] data = PartyDeclarationFormat.NodeData(config).ToArray();
        var read = PartyDeclarationFormat.Read("Iı", data);

        Assert.Equal("Iı\npartitioner/1 rebalance=cooperative function=sticky items=cc0021d500799ef3", Encoding.UTF8.GetString(data));
        Assert.Equal(new DeclarationRead.Declared(new PartyDeclaration(RebalanceMode.Cooperative, "sticky", 0xcc0021d500799ef3UL)), read);
    }
}
