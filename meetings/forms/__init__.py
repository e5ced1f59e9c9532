"""Forms of the joint meeting, one module per area."""
