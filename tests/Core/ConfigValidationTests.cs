using Partitioner.Core;

namespace Partitioner.Tests.Core;

/// <summary>PartitionerConfig.Create refuses bad input with an error that names the parameter and the value.</summary>
public sealed class ConfigValidationTests
{
    private const string Prefix = "0123456789abcdef0123456789abcdef";

    private static PartitionerConfig Create(
        string path = "/p",
        IEnumerable<string>? items = null,
        string identifier = "me",
        string prefix = Prefix,
        double timeBoundarySeconds = 1,
        double maxReactionSeconds = 1,
        int batchSize = 250) =>
        PartitionerConfig.Create(
            path, items ?? ["a"], identifier, prefix,
            TimeSpan.FromSeconds(timeBoundarySeconds), TimeSpan.FromSeconds(maxReactionSeconds), batchSize: batchSize);

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("p", "does not start with '/'")]
    [InlineData("/", "is the root")]
    [InlineData("/p/", "ends with '/'")]
    [InlineData("/a//b", "segment \"\"")]
    [InlineData("/a/./b", "segment \".\"")]
    [InlineData("/a/..", "segment \"..\"")]
    [InlineData("/a\u0000b", "U+0000")]
    [InlineData("/a\u0007", "U+0007")]
    [InlineData("/a\u0085", "U+0085")]
    [InlineData("/a\uD83D\uDE00", "U+D83D")]
    [InlineData("/a\uE000", "U+E000")]
    [InlineData("/a\uFFF5", "U+FFF5")]
    public void Create_WhenThePathIsNotAnAbsoluteZnodePath_RefusesNamingIt(string path, string why)
    {
        var error = Assert.Throws<ArgumentException>(() => Create(path: path));

        Assert.Equal("path", error.ParamName);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
        Assert.Contains("The path \"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WhenThePathIsNull_Refuses()
    {
        var error = Assert.Throws<ArgumentNullException>(() => Create(path: null!));

        Assert.Equal("path", error.ParamName);
    }

    [Theory]
    [InlineData("", "\"\"", "is empty")]
    [InlineData("a/b", "\"a/b\"", "contains '/'")]
    [InlineData(".", "\".\"", "relative")]
    [InlineData("..", "\"..\"", "relative")]
    [InlineData("a\u0001", "\"a\\u0001\"", "U+0001")]
    [InlineData("\uFFFF", "\"\\uFFFF\"", "U+FFFF")]
    [InlineData("\U0001F600", "\"\\uD83D\\uDE00\"", "U+D83D")]
    public void Create_WhenAnItemCannotBeAZnodeName_RefusesNamingIt(string item, string quoted, string why)
    {
        var error = Assert.Throws<ArgumentException>(() => Create(items: ["ok", item]));

        Assert.Equal("items", error.ParamName);
        Assert.Contains(quoted, error.Message, StringComparison.Ordinal);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WhenAnItemRepeats_RefusesNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => Create(items: ["a", "queue-7", "b", "queue-7"]));

        Assert.Equal("items", error.ParamName);
        Assert.Contains("\"queue-7\" appears more than once", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WhenAnItemIsNull_Refuses()
    {
        var error = Assert.Throws<ArgumentException>(() => Create(items: ["a", null!]));

        Assert.Equal("items", error.ParamName);
    }

    [Theory]
    [InlineData("", "is empty")]
    [InlineData("a/b", "contains '/'")]
    [InlineData("a\u001Fb", "U+001F")]
    public void Create_WhenTheIdentifierIsNotValid_RefusesNamingIt(string identifier, string why)
    {
        var error = Assert.Throws<ArgumentException>(() => Create(identifier: identifier));

        Assert.Equal("identifier", error.ParamName);
        Assert.Contains(why, error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("")]
    [InlineData("0123456789abcdef0123456789abcde")]
    [InlineData("0123456789abcdef0123456789abcdef0")]
    [InlineData("0123456789ABCDEF0123456789ABCDEF")]
    [InlineData("01234567-89ab-cdef-0123-456789abcdef")]
    [InlineData("0123456789abcdef0123456789abcdeg")]
    public void Create_WhenThePrefixIsNot32LowercaseHexDigits_RefusesNamingIt(string prefix)
    {
        var error = Assert.Throws<ArgumentException>(() => Create(prefix: prefix));

        Assert.Equal("contenderPrefix", error.ParamName);
        Assert.Contains($"\"{prefix}\"", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_WhenTheTimeBoundaryIsNegative_RefusesNamingIt()
    {
        var error = Assert.Throws<ArgumentException>(() => Create(timeBoundarySeconds: -2));

        Assert.Equal("timeBoundary", error.ParamName);
        Assert.Contains("-00:00:02", error.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-1)]
    public void Create_WhenTheMaxReactionTimeIsNotPositive_RefusesNamingIt(double seconds)
    {
        var error = Assert.Throws<ArgumentException>(() => Create(maxReactionSeconds: seconds));

        Assert.Equal("maxReactionTime", error.ParamName);
    }

    [Theory]
    [InlineData(0)]
    [InlineData(-5)]
    [InlineData(1001)]
    public void Create_WhenTheBatchSizeIsOutOfRange_RefusesNamingIt(int batchSize)
    {
        var error = Assert.Throws<ArgumentException>(() => Create(batchSize: batchSize));

        Assert.Equal("batchSize", error.ParamName);
        Assert.Contains(batchSize.ToString(System.Globalization.CultureInfo.InvariantCulture), error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Create_GivenValidValues_KeepsThem()
    {
        var config = PartitionerConfig.Create(
            "/app/p-1", ["b", "\uFF61", "a"], "host-1.example-42", Prefix,
            TimeSpan.Zero, TimeSpan.FromMilliseconds(1), batchSize: 1000);

        Assert.Equal("/app/p-1", config.Path);
        Assert.Equal("host-1.example-42", config.Identifier);
        Assert.Equal(Prefix, config.ContenderPrefix);
        Assert.Equal(TimeSpan.Zero, config.TimeBoundary);
        Assert.Equal(TimeSpan.FromMilliseconds(1), config.MaxReactionTime);
        Assert.Equal("round-robin", config.PartitionFunctionName);
        Assert.Null(config.PartitionFunction);
        Assert.Equal(1000, config.BatchSize);
    }

    [Fact]
    public void Create_GivenItemsInAnyOrder_StoresThemSortedByCodePoint()
    {
        var config = Create(items: ["b", "\uF900", "a", "B", "10", "9"]);

        Assert.Equal(["10", "9", "B", "a", "b", "\uF900"], config.Items.ToArray());
    }

    [Fact]
    public void Create_GivenAnEmptySet_IsValid()
    {
        var config = Create(items: []);

        Assert.Empty(config.Items);
    }
}
