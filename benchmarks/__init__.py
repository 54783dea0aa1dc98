"""Benchmarks of lightsail-warehouse against the tools people would otherwise use (`make bench`)."""
