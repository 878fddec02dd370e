# resources.required: every deployed platform declares all six limits.
# resources.ceiling: each limit stays at or under its tier's ceiling (settings.tiers[tier].ceilings).
package rules.resources

import data.lib.findings
import data.lib.tiers

limits := ["cpuCores", "memoryMb", "diskMb", "maxOpenFds", "maxProcesses", "maxThreads"]

violation contains f if {
	some env, platforms in input.resolved
	some name, spec in platforms
	not spec.resources
	f := findings.resolved(
		"resources.required", env, name, "/resources",
		sprintf("%s declares no resource limits in %s", [name, env]),
		sprintf("set spec.resources (%s) in platforms/%s/platform.yaml or in the template it extends", [concat(", ", limits), name]),
	)
}

violation contains f if {
	some env, platforms in input.resolved
	some name, spec in platforms
	resources := spec.resources
	some limit in limits
	not has_key(resources, limit)
	f := findings.resolved(
		"resources.required", env, name, sprintf("/resources/%s", [limit]),
		sprintf("%s declares no %s limit in %s", [name, limit, env]),
		sprintf("set spec.resources.%s in platforms/%s/platform.yaml or in the template it extends", [limit, name]),
	)
}

violation contains f if {
	some env, platforms in input.resolved
	some name, spec in platforms
	some limit, value in spec.resources
	ceiling := tiers.ceiling(env, limit)
	value > ceiling
	tier := tiers.tier(env)
	f := findings.resolved(
		"resources.ceiling", env, name, sprintf("/resources/%s", [limit]),
		sprintf("%s %v of %s in %s exceeds the %s ceiling %v", [limit, value, name, env, tier, ceiling]),
		sprintf("lower resources.%s to %v or less where it is set, or waive it with a PolicyException (mnops explain resources.ceiling)", [limit, ceiling]),
	)
}

has_key(obj, key) if _ = obj[key]
