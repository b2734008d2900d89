"""The pure model: Kubernetes objects in → provider-neutral LoadBalancerSpecs out. No I/O, no SDKs."""
