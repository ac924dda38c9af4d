package lambdaenv

// The reconciler's ownership check (functions/reconciler/owner.go),
// which the component configures.
const (
	// Owner is the breaker's identity (component.BreakerIdentity); unset turns
	// the check off.
	Owner = "CIRCUIT_OWNER"
	// OwnerLeaseSeconds is how long an owner's last reconciliation holds the
	// item (integer seconds >= 60); unset: the handler's default.
	OwnerLeaseSeconds = "CIRCUIT_OWNER_LEASE_SECONDS"
)
