namespace Partitioner.Core;

/// <summary>
/// The identity of one <see cref="Decider.Decide"/> call, for the collections that change in place while they are
/// still private to it. A collection part made under one edit may be changed in place by that same edit only;
/// any other edit copies it first. Every call makes a new edit and drops it at its end, so a state, once
/// returned, is never changed again: old states stay valid, and deciding twice from one state gives the same result.
/// </summary>
/// <remarks>
/// Only the reference identity of an edit is used, never a hash or an order, so it adds nothing that differs between runs.
/// </remarks>
internal sealed class Edit;
