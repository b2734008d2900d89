"""lbctl: Kubernetes Ingress → cloud load balancers (AWS ALB, Google Cloud external HTTP(S) LB)."""

__version__ = "0.1.0"
