"""Local stand-ins for the APIs lbctl drives: a Kubernetes API server (`emulators.kube`), the Compute Engine
API (`emulators.gce`) and a moto server for AWS with an account set up as EKS would have it (`emulators.aws`).

A leaf package: it imports nothing from `lbctl` or `providers`, and the product reaches it only lazily, from
the `lbctl demo`, `lbctl emulator` and `plan --offline` commands. It ships with the package (the `demo` and
`test` extras bring moto); the container image leaves it out.
"""
