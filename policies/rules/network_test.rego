package rules.network_test

import data.fixtures
import data.rules.network

test_allow_all_in_staging_fires if {
	eco := fixtures.with_resolved("staging", "api-platform", {"network": {"policy": "allow-all"}})
	vs := network.violation with input as eco
	some f in vs
	f.ruleId == "network.open-in-prod"
	f.environment == "staging"
	f.path == "/network/policy"
	f.resolved == true
}

test_allow_all_in_prod_fires if {
	eco := fixtures.with_resolved("prod", "worker-platform", {"network": {"policy": "allow-all"}})
	count(network.violation) == 1 with input as eco
}

test_allow_all_in_dev_ok if {
	eco := fixtures.with_resolved("dev", "api-platform", {"network": {"policy": "allow-all"}})
	count(network.violation) == 0 with input as eco
}

test_restricted_policy_ok if {
	count(network.violation) == 0 with input as fixtures.ecosystem
}

# --- network.host-port

host_ports(vs) := {[f.environment, f.name, f.path] | some f in vs; f.ruleId == "network.host-port"}

http_port := {"name": "http", "containerPort": 8080}

ingress_rule(port, protocol) := {"direction": "ingress", "port": port, "protocol": protocol, "cidr": "0.0.0.0/0", "action": "allow"}

# api-platform in env publishes ports under the fixture's http-only policy with rules.
publishing(env, ports, rules) := fixtures.with_resolved(env, "api-platform", {
	"ports": ports,
	"network": {"policy": "http-only", "rules": rules},
})

test_host_port_without_rule_in_prod_fires if {
	eco := publishing("prod", [http_port, {"name": "metrics", "containerPort": 9100, "hostPort": 9100}], [ingress_rule(8080, "tcp")])
	vs := network.violation with input as eco
	host_ports(vs) == {["prod", "api-platform", "/ports/1/hostPort"]}
	some f in vs
	f == {
		"ruleId": "network.host-port",
		"severity": "error",
		"message": "api-platform publishes host port 9100 (container port 9100/tcp) in prod tier environment prod, but its network policy http-only has no rule allowing ingress on that port",
		"hint": "add network.rules {direction: ingress, port: 9100, protocol: tcp, cidr: <who may connect>, action: allow}, or drop hostPort",
		"kind": "Platform",
		"name": "api-platform",
		"environment": "prod",
		"path": "/ports/1/hostPort",
		"resolved": true,
		"because": "tier",
	}
}

test_host_port_without_any_rules_in_staging_fires if {
	# http-only and no rules at all: the published port is allowed by nothing.
	eco := fixtures.with_resolved("staging", "api-platform", {"ports": [{"name": "http", "containerPort": 8080, "hostPort": 80}]})
	host_ports(network.violation) == {["staging", "api-platform", "/ports/0/hostPort"]} with input as eco
}

test_host_port_allowed_by_container_port_rule_ok if {
	eco := publishing("prod", [{"name": "http", "containerPort": 8080, "hostPort": 18080}], [ingress_rule(8080, "tcp")])
	count(network.violation) == 0 with input as eco
}

test_host_port_allowed_by_host_port_rule_ok if {
	eco := publishing("prod", [{"name": "http", "containerPort": 8080, "hostPort": 443}], [ingress_rule(443, "tcp")])
	count(network.violation) == 0 with input as eco
}

test_host_port_rule_must_allow_ingress if {
	deny := object.union(ingress_rule(9100, "tcp"), {"action": "deny"})
	egress := object.union(ingress_rule(9100, "tcp"), {"direction": "egress"})
	other := ingress_rule(9101, "tcp")
	every rules in [[deny], [egress], [other], [deny, egress, other]] {
		eco := publishing("prod", [{"name": "metrics", "containerPort": 9100, "hostPort": 9100}], rules)
		host_ports(network.violation) == {["prod", "api-platform", "/ports/0/hostPort"]} with input as eco
	}
}

test_host_port_rule_must_match_protocol if {
	udp := {"name": "dns", "containerPort": 53, "hostPort": 53, "protocol": "udp"}
	tcp_only := publishing("prod", [udp], [ingress_rule(53, "tcp")])
	host_ports(network.violation) == {["prod", "api-platform", "/ports/0/hostPort"]} with input as tcp_only
	count(network.violation) == 0 with input as publishing("prod", [udp], [ingress_rule(53, "udp")])

	# a port without a protocol is tcp
	count(network.violation) == 1 with input as publishing("prod", [{"name": "metrics", "containerPort": 9100, "hostPort": 9100}], [ingress_rule(9100, "udp")])
}

test_host_port_rules_are_per_platform if {
	# worker-platform's rule does not open api-platform's port.
	eco := object.union(
		publishing("prod", [{"name": "metrics", "containerPort": 9100, "hostPort": 9100}], []),
		{"resolved": {"prod": {"worker-platform": {"network": {"policy": "http-only", "rules": [ingress_rule(9100, "tcp")]}}}}},
	)
	host_ports(network.violation) == {["prod", "api-platform", "/ports/0/hostPort"]} with input as eco
}

test_host_port_in_dev_ok if {
	eco := publishing("dev", [{"name": "metrics", "containerPort": 9100, "hostPort": 9100}], [])
	count(network.violation) == 0 with input as eco
}

test_ports_without_host_port_ok if {
	eco := publishing("prod", [http_port, {"name": "metrics", "containerPort": 9100}], [])
	count(network.violation) == 0 with input as eco
}
