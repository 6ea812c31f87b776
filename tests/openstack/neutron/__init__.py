"""Neutron 29's own harness with our ML2 driver and agent (run by tests/openstack/run.py)."""

# Neutron's unit-test package selects oslo.service's threading backend when imported; it must
# come before anything that imports neutron.agent (which would select eventlet).
import neutron.tests.unit  # noqa: F401
