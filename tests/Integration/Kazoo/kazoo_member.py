#!/usr/bin/python3
"""A kazoo SetPartitioner member driven over stdin/stdout, for mixed-party tests.

It joins the party at --path with the string items given, and follows kazoo's standard
loop: on RELEASE it calls release_set() (unless --manual-release), on FAILURE it exits.
Every state change is printed as one JSON line:
    {"event": "state", "state": "ACQUIRED", "items": ["a", "c"]}
Commands, one per line on stdin: "release", "finish", "status".
"""
import argparse
import json
import os
import queue
import sys
import threading
import time

from kazoo.client import KazooClient
from kazoo.recipe.partitioner import PartitionState
from kazoo.security import CREATOR_ALL_ACL


def say(**fields):
    sys.stdout.write(json.dumps(fields, sort_keys=True) + "\n")
    sys.stdout.flush()


def read_commands(commands):
    for line in sys.stdin:
        commands.put(line.strip())
    commands.put("finish")  # stdin closed: the test is gone, leave the party


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--items", required=True, help="JSON list of strings")
    parser.add_argument("--identifier", required=True)
    parser.add_argument("--time-boundary", type=float, default=0.2)
    parser.add_argument("--manual-release", action="store_true")
    parser.add_argument("--session-timeout", type=float, default=10.0,
                        help="seconds; small values make a killed member's session expire fast")
    parser.add_argument("--digest-auth-env", default=None,
                        help="an environment variable holding user:password; the member then authenticates with "
                             "digest and creates every node with kazoo's CREATOR_ALL_ACL")
    args = parser.parse_args()

    protection = {}
    if args.digest_auth_env:
        protection = dict(auth_data=[("digest", os.environ[args.digest_auth_env])], default_acl=CREATOR_ALL_ACL)
    client = KazooClient(hosts=args.hosts, timeout=args.session_timeout, **protection)
    client.start(timeout=15)
    partitioner = client.SetPartitioner(
        path=args.path,
        set=json.loads(args.items),
        identifier=args.identifier,
        time_boundary=args.time_boundary,
    )
    commands = queue.Queue()
    threading.Thread(target=read_commands, args=(commands,), daemon=True).start()

    last = None
    while True:
        state = partitioner.state
        if state != last:
            items = sorted(partitioner) if state == PartitionState.ACQUIRED else []
            say(event="state", state=state, items=items)
            last = state
        if state == PartitionState.FAILURE:
            break
        if state == PartitionState.RELEASE and not args.manual_release:
            partitioner.release_set()
            continue
        try:
            command = commands.get(timeout=0.02)
        except queue.Empty:
            continue
        if command == "release":
            partitioner.release_set()
        elif command == "finish":
            partitioner.finish()
        elif command == "status":
            items = sorted(partitioner) if partitioner.acquired else []
            say(event="status", state=partitioner.state, items=items)
    client.stop()
    client.close()
    say(event="exit")


if __name__ == "__main__":
    main()
