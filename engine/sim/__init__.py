"""Simulated participants for the demo and the tests."""
