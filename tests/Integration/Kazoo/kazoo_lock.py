#!/usr/bin/python3
"""Holds a kazoo Lock on a path until told to release it, for lock-contention tests.

Prints {"event": "acquired"} once it holds the lock and {"event": "released"} after
"release" arrives on stdin; exits after that.
"""
import argparse
import json
import sys

from kazoo.client import KazooClient


def say(**fields):
    sys.stdout.write(json.dumps(fields, sort_keys=True) + "\n")
    sys.stdout.flush()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--hosts", required=True)
    parser.add_argument("--path", required=True)
    parser.add_argument("--identifier", default="kazoo")
    args = parser.parse_args()

    client = KazooClient(hosts=args.hosts)
    client.start(timeout=15)
    lock = client.Lock(args.path, args.identifier)
    say(event="waiting")
    lock.acquire(timeout=60)
    say(event="acquired", node=lock.node)
    for line in sys.stdin:
        if line.strip() == "release":
            break
    lock.release()
    say(event="released")
    client.stop()
    client.close()


if __name__ == "__main__":
    main()
