"""What the test suite shares, beside the emulators it runs against: manifest builders, certificates, waiting
helpers, SDK clients bound to an emulator, the suite's pytest fixtures (`emulators.testing.plugin`) and where
the tools it runs are. Test modules import from here, never from each other.

Most modules are plain data and the emulators' own clients. Those that build specs or start a controller
(`specs`, `aws_stacks`, `gcp_stacks`, `controller`, `faults`, `gce`) use the product on purpose: they drive the
real model and the real controller. The emulators proper never import this package.
"""
