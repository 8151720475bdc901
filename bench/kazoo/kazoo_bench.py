#!/usr/bin/python3
"""kazoo's SetPartitioner timed on the same server, for side-by-side figures with ours.

  acquire N  : one member acquiring N items; prints seconds from creation to ACQUIRED,
               minus the time boundary (the stability wait is not lock work).
  rebalance M N : M members share N items, one more joins; prints seconds from the join
               until all M+1 are ACQUIRED, minus the time boundary.
Each figure is printed as one JSON line, so the .NET benchmark can read it.
"""
import json
import sys
import time
import uuid

from kazoo.client import KazooClient

TIME_BOUNDARY = 0.1


def new_member(hosts, path, items, identifier):
    client = KazooClient(hosts=hosts)
    client.start(timeout=15)
    partitioner = client.SetPartitioner(path=path, set=items, identifier=identifier,
                                        time_boundary=TIME_BOUNDARY)
    return client, partitioner


def wait_acquired(partitioners, deadline_seconds=600):
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
    start = time.monotonic()
    client, p = new_member(hosts, path, items, "solo")
    wait_acquired([p])
    seconds = time.monotonic() - start - TIME_BOUNDARY
    print(json.dumps({"bench": "acquire", "items": count, "seconds": seconds}), flush=True)
    p.finish()
    client.stop()


def rebalance(hosts, members, count):
    path = "/bench-kazoo-" + uuid.uuid4().hex
    items = [str(i) for i in range(count)]
    group = [new_member(hosts, path, items, "m%d" % i) for i in range(members)]
    wait_acquired([p for _, p in group])
    start = time.monotonic()
    group.append(new_member(hosts, path, items, "m%d" % members))
    wait_acquired([p for _, p in group])
    seconds = time.monotonic() - start - TIME_BOUNDARY
    print(json.dumps({"bench": "rebalance", "members": members, "items": count, "seconds": seconds}), flush=True)
    for client, p in group:
        p.finish()
        client.stop()


if __name__ == "__main__":
    hosts, kind = sys.argv[1], sys.argv[2]
    if kind == "acquire":
        acquire(hosts, int(sys.argv[3]))
    elif kind == "rebalance":
        rebalance(hosts, int(sys.argv[3]), int(sys.argv[4]))
    else:
        raise SystemExit("usage: kazoo_bench.py HOSTS acquire N | rebalance MEMBERS N")
