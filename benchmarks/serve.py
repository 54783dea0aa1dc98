"""The local endpoint in its own process for the benchmark: pages built up front, URL on stdout."""

import argparse
import sys

from pipelines.fake_endpoint import EndpointConfig, FakeLightsail


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--size", type=int, required=True)
    parser.add_argument("--regions", required=True)
    parser.add_argument("--latency", type=float, default=0.0)
    parser.add_argument("--page-size", type=int, default=100)
    args = parser.parse_args()
    config = EndpointConfig(
        fleet_size=args.size, regions=tuple(args.regions.split(",")), page_size=args.page_size,
        latency_s=args.latency, cache_mb=4096,
    )
    with FakeLightsail(config) as server:
        server.warm()
        print(server.url, flush=True)
        sys.stdin.read()  # serve until the driver closes our stdin


if __name__ == "__main__":
    main()
