"""A local CCAI Platform tenant (bulk users and DNC of the Apps API) for demos and tests.

This package imports nothing from the rest of ``reconciler``. See docs/simulator.md.
"""

from reconciler.simulator.clock import Clock
from reconciler.simulator.faults import FaultSpec, FaultSpecError
from reconciler.simulator.runner import (
    SimulatorHandle,
    build_tenant,
    run_simulator,
    start_simulator,
)
from reconciler.simulator.tenant import SeedError, Tenant, default_seed

__all__ = [
    "Clock",
    "FaultSpec",
    "FaultSpecError",
    "SeedError",
    "SimulatorHandle",
    "Tenant",
    "build_tenant",
    "default_seed",
    "run_simulator",
    "start_simulator",
]
