#!/usr/bin/env python3
"""Every initiative the caller may see, as a CSV file and a region x status table.

What it shows (docs/analyst.md walks through it):
  * the `gql` client over HTTP (its requests transport), with or without a token;
  * paging a connection to the end: `first`/`after` with `pageInfo.endCursor`, checked
    against `totalCount`;
  * flattening nested results (agenda, region, themes) into rows, and a CSV with the
    standard library's `csv` module;
  * a count per region and status, in plain Python.

Run:
  python3 -m venv .venv && .venv/bin/pip install -r examples/python/requirements.txt
  .venv/bin/python examples/python/analyst.py --url http://127.0.0.1:8080 initiatives.csv
  # with a token, initiatives visible only to your organisation are included too:
  .venv/bin/python examples/python/analyst.py --token "$(regiograaf token --org ggd-kennemerland)" out.csv

The query is examples/operations/initiatives-page.graphql.
"""

import argparse
import csv
import sys
from collections import Counter
from pathlib import Path

from gql import Client, GraphQLRequest, gql
from gql.transport.requests import RequestsHTTPTransport

OPERATION = Path(__file__).resolve().parent.parent / "operations" / "initiatives-page.graphql"

COLUMNS = [
    "id",
    "code",
    "title",
    "status",
    "labour_saving",
    "starts",
    "ends",
    "agenda",
    "region",
    "region_name",
    "themes",
]

STATUSES = ["UNKNOWN", "IDEA", "PLANNED", "RUNNING", "COMPLETED", "STOPPED"]


def client(url: str, token: str | None) -> Client:
    """A gql client for the /graphql endpoint of `url`, sending `token` when given."""
    endpoint = url.rstrip("/")
    if not endpoint.endswith("/graphql"):
        endpoint += "/graphql"
    headers = {"accept": "application/graphql-response+json"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    # retries: the server answers RATE_LIMITED (HTTP 429) with Retry-After; the transport
    # retries 429 and 503 (UNAVAILABLE, TIMEOUT) with backoff.
    transport = RequestsHTTPTransport(
        url=endpoint,
        headers=headers,
        timeout=60,
        retries=3,
        retry_status_forcelist=[429, 503],
    )
    # The schema is not fetched: gql's introspection query is deeper than the server's
    # depth limit allows (see docs/analyst.md). The server validates every query anyway.
    return Client(transport=transport, fetch_schema_from_transport=False)


def all_initiatives(session, page_size: int) -> tuple[list[dict], int]:
    """Pages through `initiatives` to the end; returns the nodes and the reported totalCount."""
    query = gql(OPERATION.read_text(encoding="utf-8"))
    nodes: list[dict] = []
    after = None
    total = 0
    while True:
        request = GraphQLRequest(query, variable_values={"first": page_size, "after": after})
        page = session.execute(request)["initiatives"]
        total = page["totalCount"]
        nodes.extend(page["nodes"])
        if not page["pageInfo"]["hasNextPage"]:
            return nodes, total
        after = page["pageInfo"]["endCursor"]


def row(node: dict) -> dict:
    """One CSV row: nested objects flattened, lists joined with `|`."""
    region = node["agenda"]["region"]
    labour = node["labourSaving"]
    return {
        "id": node["id"],
        "code": node["code"],
        "title": node["title"],
        "status": node["status"],
        "labour_saving": "" if labour is None else str(labour).lower(),
        "starts": node["starts"] or "",
        "ends": node["ends"] or "",
        "agenda": node["agenda"]["code"],
        "region": region["code"],
        "region_name": region["name"],
        "themes": "|".join(t["code"] for t in node["themes"]),
    }


def print_region_status_table(rows: list[dict]) -> None:
    """Prints a count per region (rows) and status (columns), with totals."""
    counts = Counter((r["region"], r["status"]) for r in rows)
    regions = sorted({r["region"] for r in rows})
    statuses = [s for s in STATUSES if any(s == r["status"] for r in rows)]
    width = max([len("region"), *(len(r) for r in regions)])
    header = f"{'region':<{width}}" + "".join(f" {s:>9}" for s in statuses) + f" {'total':>7}"
    print(header)
    print("-" * len(header))
    for region in regions:
        cells = [counts[(region, s)] for s in statuses]
        print(f"{region:<{width}}" + "".join(f" {c:>9}" for c in cells) + f" {sum(cells):>7}")
    totals = [sum(counts[(region, s)] for region in regions) for s in statuses]
    print("-" * len(header))
    print(f"{'total':<{width}}" + "".join(f" {c:>9}" for c in totals) + f" {sum(totals):>7}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("csv", type=Path, help="where to write the CSV file")
    parser.add_argument("--url", default="http://127.0.0.1:8080", help="the service (default %(default)s)")
    parser.add_argument("--token", help="a bearer token; without one you see the public layer")
    parser.add_argument("--page-size", type=int, default=100, help="rows per request, at most 500")
    args = parser.parse_args()

    with client(args.url, args.token) as session:
        nodes, total = all_initiatives(session, args.page_size)
    # Data can change between pages; a count that differs is worth a warning, not a failure.
    if len(nodes) != total:
        print(f"warning: {len(nodes)} rows fetched, totalCount said {total}", file=sys.stderr)

    rows = [row(n) for n in nodes]
    with args.csv.open("w", newline="", encoding="utf-8") as out:
        writer = csv.DictWriter(out, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"{len(rows)} initiatives (totalCount {total}) written to {args.csv}\n")
    print_region_status_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
