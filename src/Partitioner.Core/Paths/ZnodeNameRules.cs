using System.Globalization;
using System.Text;

namespace Partitioner.Core;

/// <summary>
/// The characters and names ZooKeeper refuses in a path (its <c>PathUtils.validatePath</c>), so that a bad
/// path, item or identifier is refused when the configuration is built rather than by the server later.
/// </summary>
internal static class ZnodeNameRules
{
    /// <summary>
    /// True for the characters ZooKeeper refuses anywhere in a path: U+0000..U+001F, U+007F..U+009F,
    /// U+D800..U+F8FF (so no surrogate pairs: no character above U+FFFF) and U+FFF0..U+FFFF.
    /// </summary>
    public static bool IsRefusedChar(char c) =>
        c <= '\u001F'
        || (c >= '\u007F' && c <= '\u009F')
        || (c >= '\uD800' && c <= '\uF8FF')
        || c >= '\uFFF0';

    /// <summary>The index of the first refused character in <paramref name="text"/>, or -1.</summary>
    public static int IndexOfRefusedChar(string text)
    {
        for (int i = 0; i < text.Length; i++)
        {
            if (IsRefusedChar(text[i]))
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>Why <paramref name="name"/> cannot be one znode name (a path segment), or null when it can.</summary>
    public static string? WhyNotNodeName(string name)
    {
        if (name.Length == 0)
        {
            return "is empty";
        }

        if (name is "." or "..")
        {
            return "is a relative name ('.' or '..')";
        }

        if (name.Contains('/', StringComparison.Ordinal))
        {
            return "contains '/'";
        }

        return WhyRefusedChars(name);
    }

    /// <summary>Why <paramref name="text"/> holds a character ZooKeeper refuses, or null when it does not.</summary>
    public static string? WhyRefusedChars(string text)
    {
        int bad = IndexOfRefusedChar(text);
        return bad < 0
            ? null
            : string.Create(CultureInfo.InvariantCulture, $"contains the character U+{(int)text[bad]:X4} at index {bad}, which ZooKeeper refuses in a path");
    }

    /// <summary>Quotes a value for an error message, escaping characters that would not print.</summary>
    public static string Quote(string? value)
    {
        if (value is null)
        {
            return "null";
        }

        var text = new StringBuilder(value.Length + 2).Append('"');
        foreach (char c in value)
        {
            if (char.IsControl(c) || char.IsSurrogate(c) || IsRefusedChar(c))
            {
                text.Append(CultureInfo.InvariantCulture, $"\\u{(int)c:X4}");
            }
            else
            {
                text.Append(c);
            }
        }

        return text.Append('"').ToString();
    }
}
