# network.open-in-prod and network.host-port (policies/rules/network.rego) on Platform and
# PlatformTemplate files: no allow-all, and a host port only with an ingress rule allowing it.
# Ours checks staging/prod only; per file there is no tier, so every file.
package main

workload_kinds := {"Platform", "PlatformTemplate"}

deny contains msg if {
	input.kind in workload_kinds
	input.spec.network.policy == "allow-all"
	msg := sprintf("network.open-in-prod: %s %v uses network policy allow-all", [input.kind, input.metadata.name])
}

deny contains msg if {
	input.kind in workload_kinds
	some i, port in object.get(input.spec, "ports", [])
	port.hostPort
	protocol := object.get(port, "protocol", "tcp")
	not ingress_allowed(protocol, port)
	msg := sprintf("network.host-port: %s %v publishes host port %v (ports[%d]) without an ingress rule allowing it", [input.kind, input.metadata.name, port.hostPort, i])
}

ingress_ports[protocol] contains rule.port if {
	some rule in object.get(input.spec, ["network", "rules"], [])
	rule.direction == "ingress"
	rule.action == "allow"
	protocol := object.get(rule, "protocol", "tcp")
}

ingress_allowed(protocol, port) if port.containerPort in ingress_ports[protocol]

ingress_allowed(protocol, port) if port.hostPort in ingress_ports[protocol]
