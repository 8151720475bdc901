#!/usr/bin/python3
"""kazoo's SetPartitioner timed on the same server, for side-by-side figures with ours.

  acquire N  : one member acquiring N items; prints seconds from the start of allocation
               (kazoo calling _allocate_transition once the party was stable for the time
               boundary) to the state change to ACQUIRED. The stability wait is not lock work.
  rebalance M N : M members share N items, one more joins; prints seconds from the join
               (the new member's SetPartitioner created on an already connected client) until
               all M+1 are ACQUIRED, minus the time boundary.
  handoff M N : M members share N items, one more joins; then each of the M+1 leaves (finish,
               client closed) and comes back (a new client and SetPartitioner), one after the
               other, the party settling after each leave and each return. Prints each member's
               work on its items as "work" lines (start when the member enters ACQUIRED, stop
               when it leaves ACQUIRED or, leaving the party, just before finish(): what a
               consumer of the whole set does), and the two scenarios' windows as "phase" lines,
               all on time.monotonic().
Both ends of every figure are taken inside kazoo's own calls (_allocate_transition, _set_state),
not by polling, so the figures carry no sampling delay. Each figure is printed as one JSON line,
so the .NET benchmark can read it. Options after the numbers: --time-boundary SECONDS.
"""
import json
import sys
import threading
import time
import uuid

from kazoo.client import KazooClient
from kazoo.recipe.partitioner import PartitionState, SetPartitioner

TIME_BOUNDARY = 0.1


WORK_LINES = []
WORKING = {}  # item -> identifiers of the members working on it, for the settle check
WORK_GATE = threading.Lock()


def record_work(p, started):
    """Writes down that p's consumer starts (or stops) working on its whole acquired set, now."""
    with WORK_GATE:
        if getattr(p, "bench_working", False) == started:
            return
        p.bench_working = started
        items = list(p._partition_set)
        for item in items:
            members = WORKING.setdefault(item, set())
            if started:
                members.add(p._identifier)
            else:
                members.discard(p._identifier)
        WORK_LINES.append({"bench": "work", "ev": "start" if started else "stop", "m": p._identifier,
                           "items": items, "t": time.monotonic()})


def _instrument():
    """Records when each partitioner starts allocating and when it becomes ACQUIRED."""
    allocate = SetPartitioner._allocate_transition
    set_state = SetPartitioner._set_state

    def timed_allocate(self, result):
        self.bench_allocation_started = time.monotonic()
        return allocate(self, result)

    def timed_set_state(self, state):
        if state == PartitionState.ACQUIRED:
            self.bench_acquired_at = time.monotonic()
        was_acquired = self.state == PartitionState.ACQUIRED
        result = set_state(self, state)
        if state == PartitionState.ACQUIRED:
            record_work(self, True)
        elif was_acquired:
            record_work(self, False)
        return result

    SetPartitioner._allocate_transition = timed_allocate
    SetPartitioner._set_state = timed_set_state


def connect(hosts):
    client = KazooClient(hosts=hosts)
    client.start(timeout=15)
    return client


def new_member(client, path, items, identifier):
    return client.SetPartitioner(path=path, set=items, identifier=identifier,
                                 time_boundary=TIME_BOUNDARY)


def wait_acquired(partitioners, deadline_seconds=900):
    """The consumer loop kazoo documents: release when asked, until every member is ACQUIRED."""
    end = time.monotonic() + deadline_seconds
    while time.monotonic() < end:
        for p in partitioners:
            if p.release:
                p.release_set()
        if all(p.acquired for p in partitioners):
            return
        time.sleep(0.005)
    raise SystemExit("kazoo did not reach ACQUIRED in time")


def acquire(hosts, count):
    path = "/bench-kazoo-" + uuid.uuid4().hex
    items = [str(i) for i in range(count)]
    client = connect(hosts)
    created = time.monotonic()
    p = new_member(client, path, items, "solo")
    wait_acquired([p])
    seconds = p.bench_acquired_at - p.bench_allocation_started
    whole = p.bench_acquired_at - created - TIME_BOUNDARY
    print(json.dumps({"bench": "acquire", "items": count, "seconds": seconds,
                      "from_creation_minus_boundary": whole, "path": path}), flush=True)
    p.finish()
    client.stop()
    client.close()


def rebalance(hosts, members, count):
    path = "/bench-kazoo-" + uuid.uuid4().hex
    items = [str(i) for i in range(count)]
    clients = [connect(hosts) for _ in range(members + 1)]
    group = [new_member(clients[i], path, items, "m%d" % i) for i in range(members)]
    wait_acquired(group)
    start = time.monotonic()
    group.append(new_member(clients[members], path, items, "m%d" % members))
    wait_acquired(group)
    end = max(p.bench_acquired_at for p in group)
    seconds = end - start - TIME_BOUNDARY
    print(json.dumps({"bench": "rebalance", "members": members, "items": count, "seconds": seconds,
                      "path": path}), flush=True)
    for p in group:
        p.finish()
    for client in clients:
        client.stop()
        client.close()


def settled(group, shares, items):
    """Every member ACQUIRED and working on exactly its share (kazoo's function for the party)."""
    if not all(p.acquired for p in group):
        return False
    with WORK_GATE:
        for identifier, share in shares.items():
            for item in share:
                if WORKING.get(item) != {identifier}:
                    return False
        return sum(len(members) for members in WORKING.values()) == len(items)


def wait_settled(group, items, deadline_seconds=600):
    """The consumer loop kazoo documents (release when asked) until the party is settled; returns the instant."""
    party = [p._identifier for p in group]
    # The shares once per wait, not per poll: the poll shares Python's one interpreter lock with kazoo's threads.
    shares = {p._identifier: p._partitioner(p._identifier, party, items) for p in group}
    end = time.monotonic() + deadline_seconds
    while time.monotonic() < end:
        for p in group:
            if p.release:
                p.release_set()
        if settled(group, shares, items):
            return time.monotonic()
        time.sleep(0.005)
    raise SystemExit("kazoo's party did not settle in time: " + ", ".join(
        "%s=%s" % (p._identifier, p.state) for p in group))


def handoff(hosts, members, count):
    path = "/bench-kazoo-" + uuid.uuid4().hex
    items = [str(i) for i in range(count)]
    ids = ["m%d" % i for i in range(members + 1)]
    running = {}  # identifier -> (client, partitioner)

    def start(identifier):
        client = connect(hosts)
        running[identifier] = (client, new_member(client, path, items, identifier))

    def group():
        return [running[i][1] for i in sorted(running)]

    for identifier in ids[:-1]:
        start(identifier)
    wait_settled(group(), items)
    join_from = time.monotonic()
    start(ids[-1])
    join_to = wait_settled(group(), items)
    phases = [{"bench": "phase", "name": "join", "from": join_from, "to": join_to}]
    restart_from = restart_to = time.monotonic()
    for identifier in ids:
        client, p = running.pop(identifier)
        record_work(p, False)  # the consumer stops its work, then leaves
        p.finish()
        client.stop()
        client.close()
        wait_settled(group(), items)
        start(identifier)
        restart_to = wait_settled(group(), items)
    phases.append({"bench": "phase", "name": "restart", "from": restart_from, "to": restart_to})
    with WORK_GATE:
        lines = list(WORK_LINES)
    for line in lines + phases:
        print(json.dumps(line), flush=False)
    print(json.dumps({"bench": "handoff", "members": members, "items": count, "path": path}), flush=True)
    for client, p in running.values():
        p.finish()
        client.stop()
        client.close()


def main(argv):
    global TIME_BOUNDARY
    if "--time-boundary" in argv:
        at = argv.index("--time-boundary")
        TIME_BOUNDARY = float(argv[at + 1])
        del argv[at:at + 2]
    if len(argv) < 3:
        raise SystemExit("usage: kazoo_bench.py HOSTS acquire N | rebalance MEMBERS N | handoff MEMBERS N [--time-boundary S]")
    _instrument()
    hosts, kind = argv[1], argv[2]
    if kind == "acquire":
        acquire(hosts, int(argv[3]))
    elif kind == "rebalance":
        rebalance(hosts, int(argv[3]), int(argv[4]))
    elif kind == "handoff":
        handoff(hosts, int(argv[3]), int(argv[4]))
    else:
        raise SystemExit("usage: kazoo_bench.py HOSTS acquire N | rebalance MEMBERS N | handoff MEMBERS N [--time-boundary S]")


if __name__ == "__main__":
    main(list(sys.argv))
