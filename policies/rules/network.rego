# network.open-in-prod: staging and prod platforms may not use network policy allow-all.
package rules.network

import data.lib.findings
import data.lib.tiers

violation contains f if {
	some env, platforms in input.resolved
	tiers.strict(env)
	some name, spec in platforms
	spec.network.policy == "allow-all"
	f := findings.resolved(
		"network.open-in-prod", env, name, "/network/policy",
		sprintf("%s uses network policy allow-all in %s tier environment %s", [name, tiers.tier(env), env]),
		"use egress-only, http-only or no-network with explicit rules",
	)
}
