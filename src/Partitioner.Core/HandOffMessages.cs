namespace Partitioner.Core;

/// <summary>
/// Cooperative mode: stop the work on <paramref name="Item"/>, which is leaving this member's share. The item is no longer
/// in <see cref="MemberState.AcquiredItems"/> from the decision that asks this; its lock node stays until the shell
/// answers with <see cref="ItemWorkStopped"/> carrying <paramref name="OpId"/>, so that the next owner cannot take the
/// item while this member's work on it still runs. A revocation is orderly: the work may finish its step and commit.
/// </summary>
public sealed record StopItemWork(long OpId, string Item) : Command;

/// <summary>
/// The work on the item of the <see cref="StopItemWork"/> <paramref name="OpId"/> has returned: its lock node may go.
/// The shell reports it once per stop; Core ignores one it no longer expects (a duplicate, or one after a release).
/// </summary>
public sealed record ItemWorkStopped(long OpId) : Event;
