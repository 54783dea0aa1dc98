"""Screenshot the Dagster asset graph with headless Chromium and fail if the page came out blank.

    .venv/bin/python -m tests.ui.screenshot --out asset-graph.png [--install] [--require] [--no-run]

Starts the local endpoint and `dagster dev` on a temporary DAGSTER_HOME, materialises one partition, then
loads the asset graph page in Chromium. Without Chromium it prints SKIP and exits 0 (exit 1 with
--require); --install runs `apt-get install -y chromium` first when it is missing and we are root.
"""

import argparse
import os
import shutil
import struct
import subprocess
import sys
import tempfile
import zlib
from collections import Counter
from pathlib import Path

from pipelines.fake_endpoint import EndpointConfig, FakeLightsail
from tests.ui.dagster_dev import DagsterDev, instance_home

BROWSERS = ("chromium", "chromium-browser", "google-chrome")
PAGE = "/locations/pipelines/asset-groups/warehouse"  # the asset graph of the warehouse tables, checks on each node
REGIONS = ("us-east-1", "eu-west-2", "ap-southeast-2")


def find_browser(install=False):
    found = next((shutil.which(b) for b in BROWSERS if shutil.which(b)), None)
    if found or not install:
        return found
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        print("cannot install chromium: needs root and apt-get", file=sys.stderr)
        return None
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=True, env=env)
    return shutil.which("chromium")


def screenshot(browser, url, out, profile_dir, size="1600,1200"):
    subprocess.run(
        [browser, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={profile_dir}",
         "--hide-scrollbars", f"--window-size={size}", "--virtual-time-budget=15000", f"--screenshot={out}", url],
        check=True, capture_output=True, timeout=120,
    )


def png_histogram(path):
    """Pixel value -> count over a sample of the PNG's pixels (every 7th of each row); 8-bit RGB/RGBA only."""
    data = Path(path).read_bytes()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        raise ValueError(f"{path} is not a PNG")
    pos, idat, header = 8, [], None
    while pos < len(data):
        length, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            idat.append(body)
        pos += 12 + length
    width, height, depth, colour_type, _, _, interlace = header
    if depth != 8 or colour_type not in (2, 6) or interlace:
        raise ValueError(f"unsupported PNG (depth {depth}, colour type {colour_type}, interlace {interlace})")
    return _histogram(zlib.decompress(b"".join(idat)), width, height, 3 if colour_type == 2 else 4)


def looks_blank(histogram):
    """A blank or still-loading page: a handful of colours, or one colour nearly everywhere."""
    total = sum(histogram.values())
    return len(histogram) < 8 or histogram.most_common(1)[0][1] / total > 0.97


def _histogram(raw, width, height, bpp):
    stride, previous, counts = width * bpp, bytearray(width * bpp), Counter()
    for y in range(height):
        start = y * (stride + 1)
        row = _unfilter(raw[start], bytearray(raw[start + 1:start + 1 + stride]), previous, bpp)
        counts.update(bytes(row[x:x + bpp]) for x in range(0, stride, bpp * 7))
        previous = row
    return counts


def _unfilter(kind, row, prev, bpp):
    if kind == 1:
        for i in range(bpp, len(row)):
            row[i] = (row[i] + row[i - bpp]) & 0xFF
    elif kind == 2:
        for i in range(len(row)):
            row[i] = (row[i] + prev[i]) & 0xFF
    elif kind == 3:
        for i in range(len(row)):
            left = row[i - bpp] if i >= bpp else 0
            row[i] = (row[i] + ((left + prev[i]) >> 1)) & 0xFF
    elif kind == 4:
        for i in range(len(row)):
            a, b, c = (row[i - bpp] if i >= bpp else 0), prev[i], (prev[i - bpp] if i >= bpp else 0)
            p = a + b - c
            pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
            row[i] = (row[i] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 0xFF
    return row


def capture(out, browser, workdir, partition="2026-12-01", run=True):
    """Serve the fleet, start the UI, materialise `partition` (if `run`), screenshot the asset graph into `out`."""
    with FakeLightsail(EndpointConfig(fleet_size=300, regions=REGIONS, page_size=50)) as endpoint:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "DAGSTER_", "LIGHTSAIL_WAREHOUSE_"))}
        env |= {
            "DAGSTER_HOME": str(instance_home(workdir / "dagster_home")),
            "AWS_ENDPOINT_URL_LIGHTSAIL": endpoint.url, "AWS_ACCESS_KEY_ID": "demo", "AWS_SECRET_ACCESS_KEY": "demo",
            "AWS_EC2_METADATA_DISABLED": "true", "LIGHTSAIL_WAREHOUSE_REGIONS": ",".join(REGIONS),
            "LIGHTSAIL_WAREHOUSE_DB": str(workdir / "warehouse.duckdb"),
            "LIGHTSAIL_WAREHOUSE_DATA_DIR": str(workdir / "data"), "LIGHTSAIL_WAREHOUSE_SCHEDULE_RUNNING": "0",
        }
        with DagsterDev(env, workdir / "dagster-dev.log") as dev:
            dev.dismiss_welcome()
            status = dev.wait_for_run(dev.launch_job("lightsail_warehouse_job", partition), timeout_s=120) if run else "SUCCESS"
            if status != "SUCCESS":
                raise RuntimeError(f"the run ended {status}:\n{dev.log_tail()}")
            screenshot(browser, dev.url + PAGE, out, workdir / "chromium-profile")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", default="asset-graph.png")
    parser.add_argument("--install", action="store_true", help="apt-get install chromium when it is missing")
    parser.add_argument("--require", action="store_true", help="fail instead of skipping without chromium")
    parser.add_argument("--no-run", action="store_true", help="screenshot without materialising a partition first")
    args = parser.parse_args(argv)
    browser = find_browser(args.install)
    if not browser:
        print(f"SKIP: no Chromium ({', '.join(BROWSERS)}); install it with `apt-get install -y chromium` or pass --install")
        return 1 if args.require else 0
    with tempfile.TemporaryDirectory(prefix="ui-shot-") as workdir:
        capture(Path(args.out).resolve(), browser, Path(workdir), run=not args.no_run)
    histogram = png_histogram(args.out)
    share = histogram.most_common(1)[0][1] / sum(histogram.values())
    verdict = f"{len(histogram)} colours, the commonest on {share:.0%} of the pixels"
    if looks_blank(histogram):
        print(f"FAIL: {args.out} looks blank ({verdict})", file=sys.stderr)
        return 1
    print(f"ok: {args.out} ({verdict})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
