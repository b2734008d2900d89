"""Cloud provider adapters: each translates a LoadBalancerSpec into its cloud and converges it."""
