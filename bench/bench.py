#!/usr/bin/env python3
"""The load driver: measures a running regiograaf over real HTTP and reports, per case, req/s,
p50 and p99 latency, SQL statements per request and peak RSS, as a Markdown table and as JSON.

Cases:
- every `NAME.ours.json[l]` in --queries (Q1, Q2, Q3, M1): oha at --concurrency after a warm-up;
- RSS64: the heaviest read (Q2) at concurrency 64, for the memory target;
- S1: `syncInitiatives` with --sync-items items, once creating them and once updating them;
- F1: subscription fan-out (bench/fanout.mjs): subscribers x events deliveries.

Statements per request come from the server's `regiograaf_sql_statements_total` and
`regiograaf_requests_total` at /metrics, read before and after each measured cell; peak RSS
from the server's VmHWM, reset before each cell (write 5 to /proc/PID/clear_refs).

    bench/bench.py --url http://127.0.0.1:8080/graphql --pid PID --token TOKEN --oha PATH --out DIR
"""
import argparse
import json
import pathlib
import re
import subprocess
import sys
import time
import urllib.request

HERE = pathlib.Path(__file__).resolve().parent


def metrics(url):
    text = urllib.request.urlopen(url.rsplit("/graphql", 1)[0] + "/metrics", timeout=10).read().decode()
    statements = sum(float(m) for m in re.findall(r"^regiograaf_sql_statements_total(?:\{[^}]*\})? (\S+)$", text, re.M))
    requests = sum(float(m) for m in re.findall(r"^regiograaf_requests_total\{[^}]*\} (\S+)$", text, re.M))
    return statements, requests


def reset_peak(pid):
    try:
        pathlib.Path(f"/proc/{pid}/clear_refs").write_text("5")
        return True
    except OSError:
        return False


def peak_rss_mb(pid):
    for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def post(url, token, query, variables=None, timeout=600):
    body = json.dumps({"query": query, "variables": variables or {}}).encode()
    request = urllib.request.Request(url, data=body, headers={"content-type": "application/json", "authorization": f"Bearer {token}"})
    return json.load(urllib.request.urlopen(request, timeout=timeout))


def bodies(path: pathlib.Path, out: pathlib.Path):
    """The bodies of one query as a .jsonl file (oha's -Z sends a random line per request)."""
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    target = out / (path.name.split(".")[0] + ".jsonl")
    target.write_text("\n".join(lines) + "\n")
    return target, lines


def check(url, token, lines, name):
    for line in lines[:: max(1, len(lines) // 20)]:
        body = json.loads(line)
        answer = post(url, token, body["query"], body.get("variables"))
        if "errors" in answer or not answer.get("data"):
            sys.exit(f"bench.py: {name} answers with errors: {json.dumps(answer)[:600]}")


def oha(args, url, body_file, concurrency, seconds, json_out=None):
    command = [args.oha, "--no-tui", "-c", str(concurrency), "-m", "POST", "-H", "content-type: application/json",
               "-H", f"authorization: Bearer {args.token}", "-Z", str(body_file), "-z", f"{seconds}s"]
    if json_out:
        command += ["--output-format", "json", "-o", str(json_out)]
    else:
        command += ["--output-format", "quiet"]
    subprocess.run(command + [url], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return json.loads(json_out.read_text()) if json_out else None


def load_cell(args, name, body_file, concurrency):
    if args.warmup > 0:
        oha(args, args.url, body_file, concurrency, args.warmup)
    before = metrics(args.url)
    reset_peak(args.pid)
    result = oha(args, args.url, body_file, concurrency, args.duration, args.out / f"{name}.c{concurrency}.oha.json")
    after = metrics(args.url)
    summary = result.get("summary", {})
    percentiles = result.get("latencyPercentiles", {})
    codes = result.get("statusCodeDistribution", {})
    ok = int(codes.get("200", 0))
    served = after[1] - before[1]
    return {
        "case": name,
        "concurrency": concurrency,
        "req_s": summary.get("requestsPerSec"),
        "p50_ms": (percentiles.get("p50") or 0) * 1000,
        "p99_ms": (percentiles.get("p99") or 0) * 1000,
        "statements_per_request": (after[0] - before[0]) / served if served else None,
        "peak_rss_mb": peak_rss_mb(args.pid),
        # Requests cut off at the end of the duration are not errors.
        "non_200": sum(int(n) for code, n in codes.items() if code != "200")
        + sum(n for why, n in result.get("errorDistribution", {}).items() if "deadline" not in why),
        "ok": ok,
    }


SYNC = """mutation($items: [SyncInitiativeInput!]!, $key: String) {
  syncInitiatives(items: $items, idempotencyKey: $key) { created updated unchanged refused replayed } }"""


def sync_cells(args):
    run = str(int(time.time()))
    agenda, n = args.sync_agenda, args.sync_items
    create = [{"externalRef": f"s1-{run}-{i}", "code": f"{agenda}/s1-{run}-{i}", "agenda": agenda, "title": f"Synchronisatie {i}", "status": "PLANNED"} for i in range(n)]
    update = [{"externalRef": f"s1-{run}-{i}", "status": "RUNNING", "progressNotes": f"stap {i}"} for i in range(n)]
    cells = []
    for name, items in (("S1 create", create), ("S1 update", update)):
        before = metrics(args.url)
        reset_peak(args.pid)
        start = time.perf_counter()
        answer = post(args.url, args.sync_token or args.token, SYNC, {"items": items, "key": f"{name}-{run}"})
        elapsed = time.perf_counter() - start
        after = metrics(args.url)
        if "errors" in answer:
            sys.exit(f"bench.py: {name}: {json.dumps(answer['errors'])[:600]}")
        result = answer["data"]["syncInitiatives"]
        if result["refused"]:
            sys.exit(f"bench.py: {name} refused {result['refused']} items")
        cells.append({"case": name, "items": n, "items_s": n / elapsed, "seconds": elapsed,
                      "statements_per_item": (after[0] - before[0]) / n, "peak_rss_mb": peak_rss_mb(args.pid), "result": result})
    return cells


def fanout_cell(args):
    ids = ",".join(args.fanout_ids.split(","))
    out = subprocess.run(["node", "--experimental-websocket", "--no-warnings", str(HERE / "fanout.mjs"), args.url, args.token,
                          args.fanout_region, ids, str(args.subscribers), str(args.events)], capture_output=True, text=True)
    if not out.stdout.strip():
        sys.exit(f"bench.py: fanout failed: {out.stderr[-600:]}")
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["case"] = "F1 fan-out"
    result["peak_rss_mb"] = peak_rss_mb(args.pid)
    if out.returncode != 0:
        result["incomplete"] = True
    return result


def fmt(value, spec):
    return "" if value is None else format(value, spec)


def table(loads, syncs, fanout):
    lines = ["| case | conc. | req/s | p50 ms | p99 ms | SQL/request | peak RSS MB | non-200 |", "|---|---|---|---|---|---|---|---|"]
    for c in loads:
        lines.append(f"| {c['case']} | {c['concurrency']} | {fmt(c['req_s'], ',.0f')} | {fmt(c['p50_ms'], '.1f')} | {fmt(c['p99_ms'], '.1f')} "
                     f"| {fmt(c['statements_per_request'], '.1f')} | {fmt(c['peak_rss_mb'], '.0f')} | {c['non_200']} |")
    lines += ["", "| case | items | items/s | seconds | SQL/item | peak RSS MB |", "|---|---|---|---|---|---|"]
    for c in syncs:
        lines.append(f"| {c['case']} | {c['items']:,} | {c['items_s']:,.0f} | {c['seconds']:.2f} | {c['statements_per_item']:.2f} | {fmt(c['peak_rss_mb'], '.0f')} |")
    if fanout:
        f = fanout
        lines += ["", "| case | subscribers x events | delivered | deliveries/s | p50 ms | p99 ms | max ms | peak RSS MB |", "|---|---|---|---|---|---|---|---|",
                  f"| {f['case']} | {f['subscribers']} x {f['events']} | {f['deliveries']:,} of {f['expected']:,} | {f['deliveries_per_s']:,.0f} "
                  f"| {fmt(f['p50_ms'], '.1f')} | {fmt(f['p99_ms'], '.1f')} | {fmt(f['max_ms'], '.1f')} | {fmt(f['peak_rss_mb'], '.0f')} |"]
    return "\n".join(lines)


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", required=True)
    parser.add_argument("--pid", required=True, type=int, help="the server's process id, for its peak RSS")
    parser.add_argument("--token", required=True)
    parser.add_argument("--oha", required=True)
    parser.add_argument("--queries", type=pathlib.Path, default=HERE / "queries")
    parser.add_argument("--out", type=pathlib.Path, required=True)
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--rss-concurrency", type=int, default=64)
    parser.add_argument("--sync-items", type=int, default=10_000)
    parser.add_argument("--sync-token", help="the token S1 syncs with (default --token): another organisation keeps the load's relations as they were")
    parser.add_argument("--sync-agenda", default="agenda-000")
    parser.add_argument("--fanout-region", default="regio-000")
    parser.add_argument("--fanout-ids", required=True, help="comma-separated initiative ids the token may edit")
    parser.add_argument("--subscribers", type=int, default=100)
    parser.add_argument("--events", type=int, default=50)
    parser.add_argument("--label", default="")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bodies").mkdir(exist_ok=True)

    loads = []
    files = sorted(p for p in args.queries.iterdir() if re.match(r"^[\w-]+\.ours\.jsonl?$", p.name))
    prepared = {}
    for path in files:
        name = path.name.split(".")[0]
        body_file, lines = bodies(path, args.out / "bodies")
        check(args.url, args.token, lines, name)
        prepared[name] = body_file
    for name, body_file in prepared.items():
        cell = load_cell(args, name, body_file, args.concurrency)
        print(f"  {name}: {cell['req_s']:,.0f} req/s, p99 {cell['p99_ms']:.1f} ms, {fmt(cell['statements_per_request'], '.1f')} SQL/request", flush=True)
        loads.append(cell)
    heaviest = "Q2" if "Q2" in prepared else next(iter(prepared))
    cell = load_cell(args, heaviest, prepared[heaviest], args.rss_concurrency)
    cell["case"] = f"{heaviest} (RSS64)"
    print(f"  {cell['case']}: {cell['req_s']:,.0f} req/s at {args.rss_concurrency}, peak RSS {cell['peak_rss_mb']:.0f} MB", flush=True)
    loads.append(cell)
    syncs = sync_cells(args) if args.sync_items > 0 else []
    for c in syncs:
        print(f"  {c['case']}: {c['items_s']:,.0f} items/s", flush=True)
    fanout = fanout_cell(args) if args.subscribers > 0 else None
    if fanout:
        print(f"  F1: {fanout['deliveries']} of {fanout['expected']} deliveries, p99 {fmt(fanout['p99_ms'], '.1f')} ms", flush=True)

    report = table(loads, syncs, fanout)
    title = f"## regiograaf{(' — ' + args.label) if args.label else ''}\n\n"
    (args.out / "ours.md").write_text(title + report + "\n")
    (args.out / "ours.json").write_text(json.dumps({"label": args.label, "settings": {k: str(v) for k, v in vars(args).items() if k != "token"},
                                                    "loads": loads, "sync": syncs, "fanout": fanout}, indent=2))
    print("\n" + title + report)


if __name__ == "__main__":
    main()
