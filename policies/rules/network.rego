# network.open-in-prod: staging and prod platforms may not use network policy allow-all.
# network.host-port: staging and prod platforms publish a host port only where their
# network rules explicitly allow ingress on it.
package rules.network

import data.lib.findings
import data.lib.tiers

violation contains f if {
	some env, platforms in input.resolved
	tiers.strict(env)
	some name, spec in platforms
	spec.network.policy == "allow-all"
	f := findings.strict_tier(
		"network.open-in-prod", env, name, "/network/policy",
		sprintf("%s uses network policy allow-all in %s tier environment %s", [name, tiers.tier(env), env]),
		"set spec.network.policy to egress-only, http-only or no-network, with spec.network.rules for what it needs",
	)
}

# A host port opens the port on the node's own address, past whatever the network policy
# names: it needs an ingress rule `{direction: ingress, port: <containerPort or hostPort>,
# protocol: <the port's, default tcp>, action: allow}`.
violation contains f if {
	some env, platforms in input.resolved
	tiers.strict(env)
	some name, spec in platforms
	some i, port in object.get(spec, "ports", [])
	port.hostPort
	protocol := object.get(port, "protocol", "tcp")
	not allowed(env, name, protocol, port)
	f := findings.strict_tier(
		"network.host-port", env, name, sprintf("/ports/%d/hostPort", [i]),
		sprintf(
			"%s publishes host port %v (container port %v/%s) in %s tier environment %s, but its network policy %v has no rule allowing ingress on that port",
			[name, port.hostPort, port.containerPort, protocol, tiers.tier(env), env, object.get(spec, ["network", "policy"], "(none)")],
		),
		sprintf("add network.rules {direction: ingress, port: %v, protocol: %s, cidr: <who may connect>, action: allow}, or drop hostPort", [port.containerPort, protocol]),
	)
}

# ingress[env][platform][protocol] is the set of ports the platform's resolved network rules
# allow ingress on (memoised: a lookup per port, never a scan of the rules).
ingress[env][name][protocol] contains rule.port if {
	some env, platforms in input.resolved
	tiers.strict(env)
	some name, spec in platforms
	some rule in object.get(spec, ["network", "rules"], [])
	rule.direction == "ingress"
	rule.action == "allow"
	protocol := object.get(rule, "protocol", "tcp")
}

# allowed(env, platform, protocol, port): a rule allows ingress on the port's container or host port.
allowed(env, name, protocol, port) if port.containerPort in ingress[env][name][protocol]

allowed(env, name, protocol, port) if port.hostPort in ingress[env][name][protocol]
