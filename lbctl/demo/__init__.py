"""`lbctl demo`: the real controller against embedded local clouds (no cluster, no cloud account)."""
