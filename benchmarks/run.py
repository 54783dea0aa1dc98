"""`make bench`: lightsail-warehouse against its peers on the same pages, in one run, as ratios.

Every case runs in its own process (peak RSS is that process's own); the local endpoint runs in another
process with its pages built beforehand, so serving costs the client nothing but HTTP.
"""

import argparse
import json
import platform
import subprocess
import sys
import time
from pathlib import Path

from benchmarks.pages import write_pages

RESULTS = Path(__file__).resolve().parent / "results"
E2E_REGIONS = "us-east-1,eu-west-2,ap-southeast-2,ca-central-1"
LATENCY_REGIONS = [
    "us-east-1", "us-east-2", "us-west-2", "ca-central-1", "eu-west-1", "eu-west-2", "eu-west-3", "eu-central-1",
    "eu-north-1", "ap-south-1", "ap-northeast-1", "ap-northeast-2", "ap-southeast-1", "ap-southeast-2",
    "ap-southeast-3", "sa-east-1",
]
TARGETS = {
    "stage_vs_dlt": 40.0, "stage_vs_pandas": 3.0, "e2e_vs_botocore_parse": 3.0,
    "e2e_1m_peak_rss_gib": 2.0, "latency_wall_vs_slowest": 1.3,
}


def measure(case, repeat=1, **options):
    """Run `case` `repeat` times, each in a fresh process; the run of median time stands for it.

    The machine is shared: a neighbour can take a core for seconds. The median of three keeps one disturbed
    run from deciding a ratio either way; peak RSS is the highest of the runs.
    """
    args = [sys.executable, "-m", "benchmarks.measure", case]
    for key, value in options.items():
        args += [f"--{key}", str(value)]
    print(f"  {case} {' '.join(f'{k}={v}' for k, v in options.items() if k != 'pages')} ...", flush=True)
    runs = []
    for _ in range(repeat):
        done = subprocess.run(args, capture_output=True, text=True, timeout=3600)
        if done.returncode != 0:
            raise RuntimeError(f"{case} failed:\n{done.stderr[-3000:]}")
        run = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"    {run['counts']['instances'] / run['seconds']:>9,.0f} instances/s  {run['seconds']:7.2f} s  "
              f"peak {run['peak_rss_mb']:,.0f} MB", flush=True)
        runs.append(run)
    runs.sort(key=lambda r: r["seconds"])
    result = runs[len(runs) // 2]
    result["runs_s"] = [round(r["seconds"], 3) for r in runs]
    result["peak_rss_mb"] = max(r["peak_rss_mb"] for r in runs)
    result["rate"] = result["counts"]["instances"] / result["seconds"]
    return result


class Endpoint:
    """The local endpoint in a child process, pages prebuilt."""

    def __init__(self, size, regions, latency=0.0):
        self.args = [sys.executable, "-m", "benchmarks.serve", "--size", str(size), "--regions", regions,
                     "--latency", str(latency)]

    def __enter__(self):
        self.process = subprocess.Popen(self.args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.url = self.process.stdout.readline().strip()
        if not self.url.startswith("http"):
            raise RuntimeError("the benchmark endpoint did not start")
        return self.url

    def __exit__(self, *exc):
        self.process.stdin.close()
        self.process.wait(timeout=30)


def run_size(size, with_dlt, repeat):
    print(f"\n== {size:,} instances", flush=True)
    pages = RESULTS / f"pages-{size}.bin"
    if not pages.exists():
        write_pages(pages, size)
    cases = {"botocore_parse": None, "ours_stage": None, "loop": None, "pandas": None}
    if with_dlt:
        cases["dlt"] = None
    # dlt runs once: ~2.5 min and ~14 GiB a run at 100k.
    results = {case: measure(case, 1 if case == "dlt" else repeat, pages=pages) for case in cases}
    with Endpoint(size, E2E_REGIONS) as url:
        results["ours_e2e"] = measure("ours_e2e", repeat, url=url, regions=E2E_REGIONS)
    return results


def run_million():
    print("\n== 1,000,000 instances end to end", flush=True)
    with Endpoint(1_000_000, E2E_REGIONS) as url:
        return {"ours_e2e": measure("ours_e2e", url=url, regions=E2E_REGIONS)}


def run_latency(latency):
    print(f"\n== 16 regions, {latency * 1000:.0f} ms per request, 5 pages each", flush=True)
    regions = ",".join(LATENCY_REGIONS)
    with Endpoint(16 * 500, regions, latency) as url:
        return measure("latency", url=url, regions=regions)


def check_counts(results):
    """Every implementation must have produced the same rows from the same pages."""
    reference = results["ours_stage"]["counts"]
    problems = []
    for case, result in results.items():
        keys = ["instances"] if case in ("botocore_parse", "ours_e2e") else list(reference)
        for key in keys:
            if result["counts"].get(key) != reference[key]:
                problems.append(f"{case}.{key} = {result['counts'].get(key)} != {reference[key]}")
    return problems


def ratios(by_size, million, latency):
    out = {}
    for size, results in by_size.items():
        stage = results["ours_stage"]["rate"]
        if "dlt" in results:
            out[f"stage_vs_dlt@{size}"] = stage / results["dlt"]["rate"]
        out[f"stage_vs_pandas@{size}"] = stage / results["pandas"]["rate"]
        out[f"stage_vs_loop@{size}"] = stage / results["loop"]["rate"]
        out[f"e2e_vs_botocore_parse@{size}"] = results["ours_e2e"]["rate"] / results["botocore_parse"]["rate"]
    if million:
        out["e2e_1m_peak_rss_gib"] = million["ours_e2e"]["peak_rss_mb"] / 1024
    out["latency_wall_vs_slowest"] = latency["counts"]["parallel_s"] / latency["counts"]["slowest_alone_s"]
    return out


def verdicts(ratio_values, judged_size):
    """Targets are judged at `judged_size` (the largest fleet measured, as in the issue's figures): at
    smaller sizes fixed costs (process start-up of boto3 clients, DDL, the reader copy) weigh in, and
    those ratios are shown for information."""
    lines = []
    for name, value in ratio_values.items():
        base, _, size = name.partition("@")
        if base not in TARGETS or (size and int(size) != judged_size):
            lines.append((name, value, "", "info"))
            continue
        target = TARGETS[base]
        ok = value <= target if base in ("e2e_1m_peak_rss_gib", "latency_wall_vs_slowest") else value >= target
        sign = "<=" if base in ("e2e_1m_peak_rss_gib", "latency_wall_vs_slowest") else ">="
        lines.append((name, value, f"{sign} {target}", "met" if ok else "MISSED"))
    return lines


def markdown(by_size, million, latency, lines, problems):
    out = ["# lightsail-warehouse benchmark", "", f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, "
           f"{platform.machine()}, Python {platform.python_version()}, one run of the benchmark; each case is its "
           "median run (all runs' seconds listed), peak RSS the highest.", ""]
    out += ["| size | case | instances/s | seconds | runs (s) | peak RSS MB | profile (s) |", "|---|---|---|---|---|---|---|"]
    rows = [(size, case, r) for size, results in by_size.items() for case, r in results.items()]
    rows += [(1_000_000, case, r) for case, r in (million or {}).items()]
    for size, case, r in rows:
        profile = ", ".join(f"{k} {v}" for k, v in sorted(r.get("profile", {}).items()))
        runs = " / ".join(f"{seconds:.2f}" for seconds in r.get("runs_s", [r["seconds"]]))
        out.append(f"| {size:,} | {case} | {r['rate']:,.0f} | {r['seconds']:.2f} | {runs} | {r['peak_rss_mb']:,.0f} | {profile} |")
    c = latency["counts"]
    out += ["", f"Latency, 16 regions: all in parallel {c['parallel_s']:.2f} s; slowest region alone "
            f"{c['slowest_alone_s']:.2f} s; all regions one after another {c['sum_alone_s']:.2f} s.", ""]
    out += ["| ratio | value | target | verdict |", "|---|---|---|---|"]
    out += [f"| {name} | {value:.2f} | {target} | {verdict} |" for name, value, target, verdict in lines]
    out += ["", "Row counts agree across implementations." if not problems else "Row count mismatches: " + "; ".join(problems)]
    return "\n".join(out) + "\n"


def main():
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", default="10000,100000", help="fleet sizes for the page cases")
    parser.add_argument("--dlt-sizes", default="10000,100000",
                        help="sizes dlt runs at (at 100k: ~2.5 min and ~13 GiB here); '' skips dlt")
    parser.add_argument("--million", action="store_true", help="also run 1,000,000 instances end to end")
    parser.add_argument("--latency", type=float, default=0.2, help="seconds per request in the 16-region case")
    parser.add_argument("--repeat", type=int, default=3,
                        help="runs per case (dlt, 1M and latency: one); the median run counts")
    args = parser.parse_args()
    RESULTS.mkdir(parents=True, exist_ok=True)
    sizes = [int(s) for s in args.sizes.split(",")]
    dlt_sizes = {int(s) for s in args.dlt_sizes.split(",") if s}
    by_size = {size: run_size(size, size in dlt_sizes, args.repeat) for size in sizes}
    million = run_million() if args.million else None
    latency = run_latency(args.latency)
    problems = [p for results in by_size.values() for p in check_counts(results)]
    lines = verdicts(ratios(by_size, million, latency), max(sizes))
    report = markdown(by_size, million, latency, lines, problems)
    (RESULTS / "results.md").write_text(report)
    (RESULTS / "results.json").write_text(json.dumps(
        {"sizes": by_size, "million": million, "latency": latency, "ratios": {n: v for n, v, _, _ in lines},
         "count_problems": problems}, indent=2, default=str))
    print("\n" + report)
    print(f"written: {RESULTS / 'results.md'} and results.json")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
