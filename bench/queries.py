#!/usr/bin/env python3
"""Writes the benchmark's query pairs (ours and PostGraphile's) into bench/queries/.

Each pair asks both servers the same question of the same rows:

- Q1: 50 initiatives ordered by id, with their themes (name) and parties (name, role).
- Q2: one region, its parties, each party's first 10 initiatives with their goals.
- Q3: one initiative by id, all its columns (lines vary over the initiatives the token's
  organisation takes part in, so the guarded fields are readable).
- M1: set one initiative's status (the same initiatives, statuses varied by a seeded choice).
  The lines go over the initiatives twice, the second time with another status, so every
  request as the file is replayed in a loop changes the row (a request that sets the status
  the row already has writes nothing here, which would not measure a write).

The ids come from a database filled by `bench/generate.py` (scale 1 and 10 give the same
ids for region 000, which the queries use), so the files only change with the generator:

    bench/queries.py --db postgres://postgres@127.0.0.1:55432/regiograaf --org welzijn-00041
    bench/queries.py --db sqlite:///tmp/bench.sqlite --org welzijn-00041
"""
import argparse
import json
import pathlib
import random
import sqlite3
import subprocess

HERE = pathlib.Path(__file__).resolve().parent


def sql(db, text):
    if db.startswith("sqlite:"):
        path = db.split("://", 1)[1].split("?", 1)[0]
        with sqlite3.connect(path) as conn:
            return [[str(v) for v in row] for row in conn.execute(text)]
    out = subprocess.run(["psql", db, "-AtX", "-v", "ON_ERROR_STOP=1", "-c", text], check=True, capture_output=True, text=True)
    return [line.split("|") for line in out.stdout.splitlines() if line]


def body(query, variables=None):
    value = {"query": " ".join(query.split())}
    if variables:
        value["variables"] = variables
    return json.dumps(value, ensure_ascii=False)


Q1_OURS = """{ initiatives(first: 50, orderBy: {field: ID, direction: ASC}) { nodes {
  id title themes { name } parties { role party { name } } } } }"""
Q1_PEER = """{ allInitiatives(first: 50, orderBy: ID_ASC) { nodes {
  id title
  initiativeThemesByInitiativeId { nodes { themeByThemeId { name } } }
  initiativePartiesByInitiativeId { nodes { role partyByPartyId { name } } } } } }"""

Q2_OURS = """query($region: String!) { region(ref: $region) { name parties { role party { name
  initiatives(first: 10) { role initiative { title goals { title } } } } } } }"""
Q2_PEER = """query($region: String!) { regionByCode(code: $region) { name
  regionPartiesByRegionId(orderBy: ID_ASC) { nodes { role partyByPartyId { name
    initiativePartiesByPartyId(first: 10, orderBy: ID_ASC) { nodes { role initiativeByInitiativeId { title
      initiativeGoalsByInitiativeId(orderBy: ID_ASC) { nodes { goalByGoalId { title } } } } } } } } } } }"""

# Every column of the initiative, under each side's names.
Q3_OURS = """query($id: ID!) { initiative(ref: $id) { id code title summary status visibility labourSaving
  starts ends timeline funding budgetEur contacts { name role email phone } internalNotes progressNotes
  version createdAt updatedAt source { document section note } } }"""
Q3_PEER = """query($id: Int!) { initiativeById(id: $id) { id code title summary status visibility labourSaving
  starts ends timeline funding budgetEur contacts internalNotes progressNotes
  version createdAt updatedAt sourceDocument sourceSection note } }"""

M1_OURS = """mutation($id: ID!, $status: InitiativeStatus!) { setInitiativeStatus(id: $id, status: $status) { id status version } }"""
M1_PEER = """mutation($id: Int!, $status: String!) { updateInitiativeById(input: {id: $id, initiativePatch: {status: $status}}) {
  initiative { id status version } } }"""

STATUSES = ["idea", "planned", "running", "completed", "stopped"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--db", required=True)
    parser.add_argument("--org", required=True, help="the party code the benchmark token is for")
    parser.add_argument("--region", default="regio-000")
    parser.add_argument("--out", type=pathlib.Path, default=HERE / "queries")
    args = parser.parse_args()
    ids = [int(row[0]) for row in sql(args.db, f"""
        select i.id from initiative i join initiative_party ip on ip.initiative_id = i.id
        join party p on p.id = ip.party_id where p.code = '{args.org}' order by i.id""")]
    if not ids:
        raise SystemExit(f"{args.org} takes part in no initiative: fill the database with bench/generate.py first")
    rng = random.Random(11)
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "Q1.ours.json").write_text(body(Q1_OURS) + "\n")
    (out / "Q1.peer.json").write_text(body(Q1_PEER) + "\n")
    (out / "Q2.ours.json").write_text(body(Q2_OURS, {"region": args.region}) + "\n")
    (out / "Q2.peer.json").write_text(body(Q2_PEER, {"region": args.region}) + "\n")
    (out / "Q3.ours.jsonl").write_text("".join(body(Q3_OURS, {"id": f"Initiative:{i}"}) + "\n" for i in ids))
    (out / "Q3.peer.jsonl").write_text("".join(body(Q3_PEER, {"id": i}) + "\n" for i in ids))
    first = [rng.choice(STATUSES) for _ in ids]
    second = [rng.choice([s for s in STATUSES if s != f]) for f in first]
    writes = list(zip(ids, first)) + list(zip(ids, second))
    (out / "M1.ours.jsonl").write_text("".join(body(M1_OURS, {"id": f"Initiative:{i}", "status": s.upper()}) + "\n" for i, s in writes))
    (out / "M1.peer.jsonl").write_text("".join(body(M1_PEER, {"id": i, "status": s}) + "\n" for i, s in writes))
    print(f"bench/queries.py: Q1 Q2 Q3 M1 for {args.org} ({len(ids)} initiatives) in {out}")


if __name__ == "__main__":
    main()
