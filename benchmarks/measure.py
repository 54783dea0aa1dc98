"""One benchmark case in a fresh process: `python -m benchmarks.measure CASE ...` prints one JSON line.

A process per case keeps peak RSS honest (`ru_maxrss` of this process only) and keeps one case's
imports, caches and garbage out of the next one's numbers.
"""

import argparse
import json
import os
import resource
import tempfile
import time
from pathlib import Path

from benchmarks import ours, peers
from benchmarks.pages import read_pages
from pipelines import timing


def botocore_parse(pages, workdir):
    """What botocore's own response parser costs on the same bodies (the bar for end to end)."""
    import botocore.parsers
    import botocore.session

    shape = botocore.session.get_session().get_service_model("lightsail").operation_model("GetInstances").output_shape
    parser = botocore.parsers.create_parser("json")
    instances = 0
    for body in pages:
        instances += len(parser.parse({"body": body, "headers": {}, "status_code": 200}, shape)["instances"])
    return {"instances": instances}


PAGE_CASES = {"botocore_parse": botocore_parse, "ours_stage": ours.run_stage, **peers.PEERS}


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("case")
    parser.add_argument("--pages")
    parser.add_argument("--url")
    parser.add_argument("--regions", default="")
    parser.add_argument("--workers", type=int, default=8)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix=f"bench-{args.case}-") as tmp:
        workdir = Path(tmp)
        regions = [r for r in args.regions.split(",") if r]
        if args.url:  # the local endpoint accepts any signature
            os.environ.update(AWS_ACCESS_KEY_ID="bench", AWS_SECRET_ACCESS_KEY="bench")
        if args.case in PAGE_CASES:
            pages = read_pages(args.pages)
            run = lambda: PAGE_CASES[args.case](pages, workdir)  # noqa: E731
        elif args.case == "ours_e2e":
            run = lambda: ours.run_end_to_end(args.url, regions, workdir, args.workers)  # noqa: E731
        elif args.case == "latency":
            run = lambda: _latency(args.url, regions, workdir)  # noqa: E731
        else:
            raise SystemExit(f"unknown case {args.case}")
        timing.reset()
        started = time.perf_counter()
        counts = run()
        seconds = time.perf_counter() - started
    print(json.dumps({
        "case": args.case, "seconds": seconds, "counts": counts,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "profile": {k: round(v, 3) for k, v in timing.totals().items()},
    }))


def _latency(url, regions, workdir):
    """Each region alone, one after another, then all of them in parallel."""
    alone = {}
    for region in regions:
        started = time.perf_counter()
        ours.run_extract_only(url, [region], workdir / f"alone-{region}", max_workers=1)
        alone[region] = time.perf_counter() - started
    started = time.perf_counter()
    counts = ours.run_extract_only(url, regions, workdir / "all", max_workers=len(regions))
    parallel = time.perf_counter() - started
    return {**counts, "slowest_alone_s": max(alone.values()), "sum_alone_s": sum(alone.values()), "parallel_s": parallel}


if __name__ == "__main__":
    main()
