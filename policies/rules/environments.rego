# environments.ttl: sandbox and preview environments have a createdAt and a ttl no longer
#   than settings.ttl.maxHours[tier]; other tiers have no ttl.
# environments.expired: an ephemeral environment is past createdAt + ttl (warning: reap it).
package rules.environments

import data.lib.duration
import data.lib.findings
import data.lib.settings
import data.lib.tiers
import data.lib.time

ttl_finding(name, path, message, hint) := findings.manifest_in("environments.ttl", "Environment", name, name, path, message, hint)

violation contains f if {
	some name, env in input.environments
	tiers.ephemeral(name)
	not env.spec.ttl
	f := ttl_finding(
		name, "/spec/ttl",
		sprintf("%s environment %s has no ttl", [env.spec.tier, name]),
		sprintf("set spec.ttl (e.g. 48h or 3d, at most %s)", [max_label(env.spec.tier)]),
	)
}

violation contains f if {
	some name, env in input.environments
	tiers.ephemeral(name)
	not env.spec.createdAt
	f := ttl_finding(
		name, "/spec/createdAt",
		sprintf("%s environment %s has no createdAt, so its ttl cannot be enforced", [env.spec.tier, name]),
		"set spec.createdAt to when it was created (RFC 3339, e.g. 2026-11-23T14:00:00Z)",
	)
}

violation contains f if {
	some name, env in input.environments
	created := env.spec.createdAt
	not time.valid(created)
	f := ttl_finding(
		name, "/spec/createdAt",
		sprintf("createdAt %v of environment %s is not an RFC 3339 time", [created, name]),
		"write it like 2026-11-23T14:00:00Z (upper-case T, and Z or an offset)",
	)
}

violation contains f if {
	some name, env in input.environments
	tiers.ephemeral(name)
	ttl := env.spec.ttl
	not duration.hours(ttl)
	f := ttl_finding(
		name, "/spec/ttl",
		sprintf("ttl %v of environment %s is not a duration like 48h or 7d", [ttl, name]),
		"write the ttl as whole hours (48h) or days (7d)",
	)
}

violation contains f if {
	some name, env in input.environments
	tiers.ephemeral(name)
	hours := duration.hours(env.spec.ttl)
	limit := settings.ttl_max_hours(env.spec.tier)
	hours > limit
	f := ttl_finding(
		name, "/spec/ttl",
		sprintf("ttl %s (%v hours) of %s environment %s exceeds the %s limit of %v hours", [env.spec.ttl, hours, env.spec.tier, name, env.spec.tier, limit]),
		sprintf("shorten it to at most %vh, or add a PolicyException for environments.ttl", [limit]),
	)
}

violation contains f if {
	some name, env in input.environments
	not tiers.ephemeral(name)
	ttl := env.spec.ttl
	f := ttl_finding(
		name, "/spec/ttl",
		sprintf("%s environment %s declares ttl %v, but only sandbox and preview environments expire", [env.spec.tier, name, ttl]),
		"remove spec.ttl",
	)
}

max_label(tier) := sprintf("%vh", [settings.ttl_max_hours(tier)])

max_label(tier) := "the tier limit" if not settings.ttl_max_hours(tier)

# Nanoseconds per hour.
hour_ns := 3600000000000

violation contains f if {
	some name, env in input.environments
	tiers.ephemeral(name)
	hours := duration.hours(env.spec.ttl)
	created := time.ns(env.spec.createdAt)
	now := time.ns(input.now)
	expiry := created + (hours * hour_ns)
	now > expiry
	overdue := floor((now - expiry) / hour_ns)
	f := findings.manifest_in(
		"environments.expired", "Environment", name, name, "/spec/ttl",
		sprintf("%s environment %s (created %s, ttl %s) expired %v hours ago", [env.spec.tier, name, env.spec.createdAt, env.spec.ttl, overdue]),
		sprintf("run mnops teardown --env %s, then delete ecosystem/platform-cloud/%s/; or extend spec.ttl", [name, name]),
	)
}
