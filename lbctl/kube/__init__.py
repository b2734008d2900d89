"""Kubernetes side of lbctl: informers, work queue, reconcile loop, leader election, and the API emulator."""
