"""Local Lightsail-compatible endpoint: a deterministic generated fleet served over the real JSON protocol."""

from pipelines.fake_endpoint.fleet import generate_fleet, region_sizes
from pipelines.fake_endpoint.server import EndpointConfig, FakeLightsail, RequestRecord, serve

__all__ = ["EndpointConfig", "FakeLightsail", "RequestRecord", "generate_fleet", "region_sizes", "serve"]
