namespace ZooKeeper.Client;

/// <summary>ZooKeeper's rules for node paths, checked before anything is sent.</summary>
internal static class PathValidation
{
    /// <summary>Throws an <see cref="ArgumentException"/> naming <paramref name="path"/> when the server would refuse it.</summary>
    /// <param name="path">The path to check.</param>
    /// <param name="sequential">True for a sequential create, whose path may end in '/' (the server appends the number).</param>
    /// <param name="parameterName">The caller's parameter name, for the exception.</param>
    public static void Validate(string? path, bool sequential = false, string parameterName = "path")
    {
        ArgumentNullException.ThrowIfNull(path, parameterName);
        var problem = FindProblem(sequential ? path + "1" : path);
        if (problem is not null)
        {
            throw new ArgumentException($"Invalid path '{path}': {problem}.", parameterName);
        }
    }

    private static string? FindProblem(string path)
    {
        if (path.Length == 0)
        {
            return "a path must not be empty";
        }

        if (path[0] != '/')
        {
            return "a path must start with '/'";
        }

        if (path.Length == 1)
        {
            return null;
        }

        if (path[^1] == '/')
        {
            return "a path must not end with '/'";
        }

        for (var i = 1; i < path.Length; i++)
        {
            var problem = FindCharProblem(path, i);
            if (problem is not null)
            {
                return problem;
            }
        }

        return null;
    }

    private static string? FindCharProblem(string path, int i)
    {
        var c = path[i];
        if (c == '\0')
        {
            return $"null character at index {i}";
        }

        if (c == '/' && path[i - 1] == '/')
        {
            return $"empty segment at index {i}";
        }

        if (c == '.' && path[i - 1] == '/' && IsRelativeSegment(path, i))
        {
            return $"relative segment at index {i}";
        }

        var forbidden = (c > '\u0000' && c <= '\u001f') || (c >= '\u007f' && c <= '\u009f')
            || (c >= '\ud800' && c <= '\uf8ff') || (c >= '\ufff0' && c <= '\uffff');
        return forbidden ? $"invalid character U+{(int)c:X4} at index {i}" : null;
    }

    /// <summary>True when the segment starting at <paramref name="start"/> is "." or "..".</summary>
    private static bool IsRelativeSegment(string path, int start)
    {
        var end = path.IndexOf('/', start);
        var length = (end < 0 ? path.Length : end) - start;
        return length == 1 || (length == 2 && path[start + 1] == '.');
    }
}
