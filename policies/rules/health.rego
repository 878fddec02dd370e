# health.required: staging and prod platforms declare a health check.
package rules.health

import data.lib.findings
import data.lib.tiers

violation contains f if {
	some env, platforms in input.resolved
	tiers.strict(env)
	some name, spec in platforms
	not has_check(spec)
	f := findings.resolved(
		"health.required", env, name, "/healthCheck",
		sprintf("%s declares no health check in %s tier environment %s", [name, tiers.tier(env), env]),
		sprintf("add spec.healthCheck.command (exec form, exit 0 = healthy) to platforms/%s/platform.yaml, or extend a template that has one", [name]),
	)
}

has_check(spec) if count(spec.healthCheck.command) > 0
