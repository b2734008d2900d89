"""lbctl benchmark: API-call economy, restart time and footprint against the embedded emulators."""
