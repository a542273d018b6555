"""The commands, one module per group; importing them registers them on ``clusterctl.app.app``."""
