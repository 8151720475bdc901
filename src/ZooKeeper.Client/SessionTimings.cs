namespace ZooKeeper.Client;

/// <summary>
/// The client's timing rules for a live connection, in one place: this client follows them, and so does the
/// simulator's model of it (<c>Partitioner.Simulation</c>'s client port), so that the model cannot drift from what
/// the client does.
/// </summary>
internal static class SessionTimings
{
    /// <summary>
    /// How long a connection may stay silent before the client gives up on it: two thirds of the session timeout,
    /// as ZooKeeper's own client does. The last third is left for a reconnect, to the same or another server,
    /// before the session can expire.
    /// </summary>
    public static TimeSpan ReadTimeout(TimeSpan sessionTimeout) => sessionTimeout * 2 / 3;

    /// <summary>
    /// How long a reconnect of an existing session waits for the server to answer its handshake before it gives up on
    /// that connection and tries again: a third of the session timeout. A restarted server gives each session it
    /// restores its whole timeout again, counted from its start, but a connection it accepted while still starting can
    /// stay open and silent until the server drops sessionless connections (ZooKeeper 3.8 fails to close it: it
    /// refuses the handshake as "not running" and its close then throws). Waiting the whole timeout on that
    /// connection, as a first connect may, lets the session expire meanwhile; a third leaves two thirds for the next
    /// attempt.
    /// </summary>
    public static TimeSpan ResumeAnswerTimeout(TimeSpan sessionTimeout) => sessionTimeout / 3;

    /// <summary>
    /// How long the client waits, having sent nothing, before it pings: half the read timeout (a third of the
    /// session timeout), so that a ping's answer is due well inside the read timeout, and at most
    /// <see cref="WireLimits.PingIntervalMax"/>.
    /// </summary>
    public static TimeSpan PingInterval(TimeSpan sessionTimeout)
    {
        var half = ReadTimeout(sessionTimeout) / 2;
        return half < WireLimits.PingIntervalMax ? half : WireLimits.PingIntervalMax;
    }
}
