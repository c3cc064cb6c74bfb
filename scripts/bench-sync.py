#!/usr/bin/env python3
"""Times `syncInitiatives` with 10,000 items against a running server: one call that creates
them, one that updates every one of them, and a replay of the same idempotency key.

    scripts/bench-sync.py http://127.0.0.1:8080/graphql "$(regiograaf token --org gemeente-haarlem --role editor)"
"""
import json
import sys
import time
import urllib.request

url, token = sys.argv[1], sys.argv[2]
count = int(sys.argv[3]) if len(sys.argv) > 3 else 10_000
run = str(int(time.time()))
QUERY = """mutation($items: [SyncInitiativeInput!]!, $key: String) {
  syncInitiatives(items: $items, idempotencyKey: $key) { created updated unchanged refused replayed } }"""


def sync(items, key):
    body = json.dumps({"query": QUERY, "variables": {"items": items, "key": key}}).encode()
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json", "authorization": f"Bearer {token}"})
    start = time.perf_counter()
    answer = json.load(urllib.request.urlopen(request, timeout=600))
    elapsed = time.perf_counter() - start
    if "errors" in answer:
        sys.exit(f"errors: {answer['errors'][:2]}")
    return answer["data"]["syncInitiatives"], elapsed


agenda = sys.argv[4] if len(sys.argv) > 4 else "sa-kennemerland-2021"
create = [{"externalRef": f"b{run}-{i}", "code": f"{agenda}/bench-{run}-{i}", "agenda": agenda, "title": f"Bench {i}", "status": "PLANNED"} for i in range(count)]
update = [{"externalRef": f"b{run}-{i}", "status": "RUNNING", "progressNotes": f"stap {i}"} for i in range(count)]
for name, items, key in [("create", create, f"c{run}"), ("update", update, f"u{run}"), ("replay", update, f"u{run}")]:
    result, elapsed = sync(items, key)
    print(f"{name:7} {count} items in {elapsed:6.2f} s = {count / elapsed:8.0f} items/s  {result}")
