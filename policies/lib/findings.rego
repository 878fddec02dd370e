# Building finding objects: every rule emits exactly this shape.
#   {ruleId, severity, message, hint, kind, name, environment?, path, resolved}
package lib.findings

# Default severity of every rule the policies emit. `mnops rules` and `mnops explain` read
# this table too (tools/lib/rules/severities.ts): keep one "rule": "severity" per line.
default_severity := {
	"naming.platform": "error",
	"naming.environment": "error",
	"ownership.owner": "error",
	"resources.required": "error",
	"resources.ceiling": "error",
	"network.open-in-prod": "error",
	"network.host-port": "error",
	"secrets.plaintext": "error",
	"images.pinned": "error",
	"sandbox.hardened": "error",
	"health.required": "error",
	"contracts.semver": "error",
	"contracts.breaking": "error",
	"contracts.unsatisfied": "error",
	"environments.ttl": "error",
	"environments.expired": "warning",
	"promotion.source": "error",
	"exceptions.expired": "error",
}

severity(rule) := object.get(default_severity, rule, "error")

# resolved(rule, env, platform, path, message, hint): a finding about the effective
# spec of a platform in an environment; path points into input.resolved[env][platform].
resolved(rule, env, platform, path, message, hint) := {
	"ruleId": rule,
	"severity": severity(rule),
	"message": message,
	"hint": hint,
	"kind": "Platform",
	"name": platform,
	"environment": env,
	"path": path,
	"resolved": true,
}

# strict_tier(rule, env, platform, path, message, hint): like resolved, for a value that is
# wrong only because of the environment's tier (allowed in dev, refused in staging and prod).
# "because": "tier" lets the CLI point at the environment's tier line when the value comes
# from a file shared with other tiers.
strict_tier(rule, env, platform, path, message, hint) := object.union(
	resolved(rule, env, platform, path, message, hint),
	{"because": "tier"},
)

# manifest(rule, kind, name, path, message, hint): a finding about one manifest as
# written; path points into the manifest (input.<kind map>[name]).
manifest(rule, kind, name, path, message, hint) := {
	"ruleId": rule,
	"severity": severity(rule),
	"message": message,
	"hint": hint,
	"kind": kind,
	"name": name,
	"path": path,
	"resolved": false,
}

# manifest_in(rule, kind, name, env, path, message, hint): like manifest, for manifests
# that belong to one environment (Environment, PlatformInstance), so tier severity
# overrides and environment-scoped exceptions apply.
manifest_in(rule, kind, name, env, path, message, hint) := object.union(
	manifest(rule, kind, name, path, message, hint),
	{"environment": env},
)

# pointer(segments) is the JSON pointer of a path array (RFC 6901 escaping).
pointer(segments) := concat("", [sprintf("/%v", [escape(s)]) | some s in segments])

escape(s) := replace(replace(s, "~", "~0"), "/", "~1") if is_string(s)

escape(s) := s if not is_string(s)
