#!/usr/bin/env python3
"""Writes N copies of the bundled agendas into OUT, for import benchmarks.

Each copy renames the agenda and everything in it (`<agenda>` becomes `<agenda>-xK`), keeps
the shared registry (regions, parties, national themes) and the links to it. Usage:

    scripts/multiply-data.py 10 /tmp/data-x10
    time regiograaf --database-url sqlite:///tmp/x10.sqlite?mode=rwc import /tmp/data-x10
"""
import pathlib
import shutil
import sys

import yaml

count, out = int(sys.argv[1]), pathlib.Path(sys.argv[2])
data = pathlib.Path(__file__).resolve().parent.parent / "data"
(out / "agendas").mkdir(parents=True, exist_ok=True)
shutil.copy(data / "registry.yaml", out / "registry.yaml")
for path in sorted((data / "agendas").glob("*.yaml")):
    text = path.read_text()
    code = yaml.safe_load(text)["agenda"]["code"]
    for k in range(1, count + 1):
        copy = text.replace(f"{code}/", f"{code}-x{k}/").replace(f"code: {code}\n", f"code: {code}-x{k}\n")
        (out / "agendas" / f"{code}-x{k}.yaml").write_text(copy)
print(f"wrote {count} copies of {len(list((data / 'agendas').glob('*.yaml')))} agendas to {out}")
