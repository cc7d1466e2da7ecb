"""Tests of the simulations in engine/sim."""
