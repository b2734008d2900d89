"""Leader election on a coordination.k8s.io/v1 Lease.

Unlike kubernetes.leaderelection, losing the lease calls `on_stopped` at once (so work stops), and
`stop()` releases the lease so a standby takes over without waiting for it to expire.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
import threading
import time
from collections.abc import Callable

from kubernetes import client
from kubernetes.client.exceptions import ApiException

log = logging.getLogger("lbctl.leader")


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def _parse_time(value: object) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.UTC)
    if isinstance(value, str) and value:
        return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
    return None


def _micro(stamp: dt.datetime) -> str:
    return stamp.strftime("%Y-%m-%dT%H:%M:%S.%fZ")


class LeaderElector:
    """Acquires and renews a Lease; calls `on_started` when leading and `on_stopped` when not any more."""

    def __init__(
        self,
        api_client: client.ApiClient,
        namespace: str,
        name: str,
        identity: str,
        on_started: Callable[[], None],
        on_stopped: Callable[[], None],
        lease_seconds: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
    ) -> None:
        self.api = client.CoordinationV1Api(api_client)
        self.namespace = namespace
        self.name = name
        self.identity = identity
        self.on_started = on_started
        self.on_stopped = on_stopped
        self.lease_seconds = lease_seconds
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        # The API stores whole seconds: round up, so a standby never sees the lease expire before we stop renewing.
        self.lease_duration = max(1, math.ceil(lease_seconds))
        if renew_deadline >= self.lease_duration:
            raise ValueError(
                f"renew_deadline ({renew_deadline}s) must be shorter than the lease ({self.lease_duration}s)"
            )
        self.leading = threading.Event()
        self._held_by_other = False  # the last attempt found another live holder
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> LeaderElector:
        self._thread = threading.Thread(target=self._run, name="leader-election", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop campaigning; release the lease if held. Safe to call from `on_stopped` (the election thread)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=self.retry_period * 3)
        if self.leading.is_set():
            self._release()
            self._lose()

    def _run(self) -> None:
        last_renew = 0.0
        while not self._stop.is_set():
            try:
                held = self._try_acquire_or_renew()
            except Exception as err:  # API unavailable: count against the renew deadline
                log.warning("lease update failed", extra={"error": str(err)})
                held = False
            now = time.monotonic()
            if held:
                last_renew = now
                if not self.leading.is_set():
                    log.info("became leader", extra={"identity": self.identity})
                    self.leading.set()
                    self.on_started()
            elif self.leading.is_set() and (self._held_by_other or now - last_renew >= self.renew_deadline):
                log.warning("lost leadership", extra={"identity": self.identity})
                self._lose()
            self._stop.wait(self.retry_period)

    def _lose(self) -> None:
        if self.leading.is_set():
            self.leading.clear()
            self.on_stopped()

    def _try_acquire_or_renew(self) -> bool:
        self._held_by_other = False
        now = _now()
        try:
            lease = self.api.read_namespaced_lease(self.name, self.namespace)
        except ApiException as err:
            if err.status != 404:
                raise
            body = {
                "metadata": {"name": self.name, "namespace": self.namespace},
                "spec": {
                    "holderIdentity": self.identity,
                    "leaseDurationSeconds": self.lease_duration,
                    "acquireTime": _micro(now),
                    "renewTime": _micro(now),
                    "leaseTransitions": 0,
                },
            }
            try:
                # The client serializes a plain dict body as it is; its hint names only the model class.
                self.api.create_namespaced_lease(self.namespace, body)  # type: ignore[arg-type]
                return True
            except ApiException as create_err:
                if create_err.status == 409:
                    return False
                raise
        if lease.spec is None:  # a Lease whose spec was never set is held by nobody
            lease.spec = client.V1LeaseSpec()
        spec = lease.spec
        holder = spec.holder_identity
        renewed = _parse_time(spec.renew_time) or _parse_time(spec.acquire_time)
        duration = spec.lease_duration_seconds or self.lease_duration
        expired = renewed is None or (now - renewed).total_seconds() > duration
        if holder and holder != self.identity and not expired:
            self._held_by_other = True
            return False
        transitions = spec.lease_transitions or 0
        if holder != self.identity:
            transitions += 1
            spec.acquire_time = now
        spec.holder_identity = self.identity
        spec.renew_time = now
        spec.lease_duration_seconds = self.lease_duration
        spec.lease_transitions = transitions
        try:
            self.api.replace_namespaced_lease(self.name, self.namespace, lease)  # carries resourceVersion
            return True
        except ApiException as err:
            if err.status == 409:
                self._held_by_other = True
                return False
            raise

    def _release(self) -> None:
        try:
            lease = self.api.read_namespaced_lease(self.name, self.namespace)
            if lease.spec is None or lease.spec.holder_identity != self.identity:
                return
            lease.spec.holder_identity = None
            lease.spec.lease_duration_seconds = 1
            lease.spec.renew_time = _now() - dt.timedelta(seconds=60)
            self.api.replace_namespaced_lease(self.name, self.namespace, lease)
            log.info("released lease", extra={"identity": self.identity})
        except Exception as err:
            log.warning("could not release lease", extra={"error": str(err)})
