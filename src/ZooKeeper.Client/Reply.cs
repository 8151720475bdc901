namespace ZooKeeper.Client;

/// <summary>
/// How one request ended, as a value, for the methods that take an ordered completion callback:
/// <see cref="Error"/> is <see cref="ErrorCode.Ok"/> and <see cref="Value"/> the result, or <see cref="Error"/> is the
/// request's error code and <see cref="Value"/> the default. Every outcome is a code here, the expected ones
/// (NoNode, NodeExists, NotEmpty) and the failures (ConnectionLoss, SessionExpired) alike: nothing is thrown.
/// </summary>
/// <typeparam name="T">What the request returns when it succeeds.</typeparam>
/// <param name="Error">Ok, or why the request failed.</param>
/// <param name="Value">The result when <paramref name="Error"/> is Ok; otherwise the default.</param>
public readonly record struct Reply<T>(ErrorCode Error, T? Value)
{
    /// <summary>True when <see cref="Error"/> is <see cref="ErrorCode.Ok"/>.</summary>
    public bool Succeeded => Error == ErrorCode.Ok;
}
