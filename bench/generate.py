#!/usr/bin/env python3
"""Writes the benchmark dataset as a regiograaf data directory, for `regiograaf import`.

At scale 1 it holds 30 regions, 2,000 parties, 12 national themes, 30 agendas (one per
region) with 400 goals, 20,000 initiatives, ~60,000 initiative-party, ~40,000 initiative-theme
and ~30,000 initiative-goal links: the dataset of the reference figures. Scale 10 is ten times
every count. The same scale and seed always give byte-identical files, so both databases and
every run see the same rows.

    bench/generate.py --scale 1 --out /tmp/bench-data
    regiograaf --database-url postgres://... import /tmp/bench-data

The files are JSON, which is YAML too, so the stdlib writes them and the importer reads them.
"""
import argparse
import json
import pathlib
import random

THEMES = [
    "ouderen", "ggz", "jeugd", "preventie", "arbeidsmarkt", "acute-zorg",
    "eerstelijn", "wonen", "digitalisering", "gezondheidsachterstanden", "mantelzorg", "palliatieve-zorg",
]
KINDS = ["ziekenhuis", "vvt", "ggz", "huisartsen", "zorgaanbieder", "welzijn", "woningcorporatie", "netwerk", "onderwijs"]
STATUSES = ["idea", "planned", "running", "running", "running", "completed", "stopped"]
SOURCE = {"document": "bench/generate.py"}
ROLES = ["participant", "executor", "financier", "advisor"]


def generate(scale: int, seed: int):
    rng = random.Random(seed)
    regions, parties, agendas = [], [], []
    n_regions, n_parties = 30 * scale, 2000 * scale
    n_goals, n_initiatives = 400 * scale, 20_000 * scale
    per_region = n_parties // n_regions  # parties of one region (66 at scale 1; 10 are gemeenten)

    for r in range(n_regions):
        members = []
        for p in range(per_region):
            index = r * per_region + p
            kind = "gemeente" if p < 10 else ("zorgverzekeraar" if p == 10 else KINDS[index % len(KINDS)])
            code = f"{kind}-{index:05d}"
            parties.append({"code": code, "name": f"{kind.capitalize()} {index:05d}", "kind": kind})
            role = {"gemeente": "member-gemeente", "zorgverzekeraar": "insurer"}.get(kind, "provider")
            members.append({"party": code, "role": role})
        regions.append({"code": f"regio-{r:03d}", "name": f"Regio {r:03d}", "kind": "zorgkantoorregio", "parties": members})
    # The parties left over by the integer division belong to no region.
    for index in range(n_regions * per_region, n_parties):
        parties.append({"code": f"netwerk-{index:05d}", "name": f"Netwerk {index:05d}", "kind": "netwerk"})

    goals_left, initiatives_left = n_goals, n_initiatives
    for r in range(n_regions):
        region = regions[r]
        agenda = f"agenda-{r:03d}"
        goal_count = goals_left // (n_regions - r)
        initiative_count = initiatives_left // (n_regions - r)
        goals_left -= goal_count
        initiatives_left -= initiative_count
        goals = [
            {
                "code": f"{agenda}/doel-{g:03d}",
                "kind": "doel",
                "title": f"Doel {g} van regio {r:03d}",
                "themes": sorted(rng.sample(THEMES, 1 + (g % 2))),
            }
            for g in range(goal_count)
        ]
        local = [m["party"] for m in region["parties"]]
        initiatives = []
        for i in range(initiative_count):
            chosen = rng.sample(local, 3)
            visibility = "public" if i % 10 < 8 else ("region" if i % 10 == 8 else "participants")
            initiative = {
                "code": f"{agenda}/initiatief-{i:05d}",
                "title": f"Initiatief {i} in regio {r:03d}",
                "summary": f"Een initiatief van {len(chosen)} partijen in regio {r:03d}.",
                "status": STATUSES[rng.randrange(len(STATUSES))],
                "labour_saving": i % 3 == 0,
                "visibility": visibility,
                "funding": f"Regiobudget {2024 + i % 3}",
                "budget": float(10_000 + rng.randrange(90) * 1_000),
                "themes": sorted(rng.sample(THEMES, 2)),
                "goals": sorted(g["code"] for g in rng.sample(goals, 1 + (i % 2))) if goals else [],
                "parties": [{"party": chosen[0], "role": "lead"}]
                + [{"party": p, "role": ROLES[rng.randrange(len(ROLES))]} for p in chosen[1:]],
            }
            initiatives.append(initiative)
        agendas.append({
            "agenda": {"code": agenda, "title": f"Samenwerkingsagenda regio {r:03d}", "kind": "samenwerkingsagenda", "region": region["code"]},
            "goals": goals,
            "initiatives": initiatives,
        })
    themes = [{"code": code, "name": code.replace("-", " ").capitalize()} for code in THEMES]
    registry = {"regions": regions, "parties": parties, "themes": themes}
    # Every record names its source document; here that is the generator.
    for record in regions + parties + themes:
        record["source"] = SOURCE
    for data in agendas:
        for record in [data["agenda"]] + data["goals"] + data["initiatives"]:
            record["source"] = SOURCE
    return registry, agendas


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=int, default=1, help="1 = the reference dataset, 10 = ten times it")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--out", type=pathlib.Path, required=True)
    args = parser.parse_args()
    registry, agendas = generate(args.scale, args.seed)
    (args.out / "agendas").mkdir(parents=True, exist_ok=True)
    for old in (args.out / "agendas").glob("*.yaml"):
        old.unlink()
    (args.out / "registry.yaml").write_text(json.dumps(registry, ensure_ascii=False, indent=0))
    for data in agendas:
        path = args.out / "agendas" / f"{data['agenda']['code']}.yaml"
        path.write_text(json.dumps(data, ensure_ascii=False, indent=0))
    initiatives = sum(len(a["initiatives"]) for a in agendas)
    links = [sum(len(i[k]) for a in agendas for i in a["initiatives"]) for k in ("parties", "themes", "goals")]
    print(f"bench/generate.py: scale {args.scale}: {len(registry['regions'])} regions, {len(registry['parties'])} parties, "
          f"{len(registry['themes'])} themes, {sum(len(a['goals']) for a in agendas)} goals, {initiatives} initiatives, "
          f"{links[0]} party, {links[1]} theme and {links[2]} goal links -> {args.out}")


if __name__ == "__main__":
    main()
