"""ccai-reconciler: GitOps for CCAI Platform tenants."""

__version__ = "0.1.0"
