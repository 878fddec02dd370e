package governance_test

import data.fixtures
import data.governance

# api-platform asks for 32 GiB in dev (ceiling 2048) and in prod (ceiling 16384).
too_big := object.union(
	fixtures.with_resolved("dev", "api-platform", {"resources": {"memoryMb": 32768}}),
	{"resolved": {"prod": {"api-platform": {"resources": {"memoryMb": 32768}}}}},
)

ceiling_target(env) := {"kind": "Platform", "name": "api-platform", "environment": env}

with_exceptions(eco, exceptions) := object.union(eco, {"exceptions": exceptions})

with_severity(eco, tier, rule, severity) := object.union(eco, {"settings": {"tiers": {tier: {"severity": {rule: severity}}}}})

rule_ids(findings) := {f.ruleId | some f in findings}

summary(findings) := {[f.ruleId, f.environment, f.severity] | some f in findings}

test_clean_ecosystem_has_no_findings if {
	count(governance.findings) == 0 with input as fixtures.ecosystem
	count(governance.waived) == 0 with input as fixtures.ecosystem
}

test_raw_findings_are_reported if {
	summary(governance.findings) == {["resources.ceiling", "dev", "error"], ["resources.ceiling", "prod", "error"]} with input as too_big
}

test_finding_shape if {
	some f in governance.findings with input as too_big
	f.environment == "prod"
	f == {
		"ruleId": "resources.ceiling",
		"severity": "error",
		"message": "memoryMb 32768 of api-platform in prod exceeds the prod ceiling 16384",
		"hint": "lower resources.memoryMb to 16384 or less where it is set, or waive it with a PolicyException (mnops explain resources.ceiling)",
		"kind": "Platform",
		"name": "api-platform",
		"environment": "prod",
		"path": "/resources/memoryMb",
		"resolved": true,
	}
}

# --- waivers

test_exception_waives_one_environment if {
	eco := with_exceptions(too_big, {"big-dev": fixtures.exception("big-dev", "resources.ceiling", ceiling_target("dev"), "2026-12-31")})
	summary(governance.findings) == {["resources.ceiling", "prod", "error"]} with input as eco
	some w in governance.waived with input as eco
	w.exception == "big-dev"
	w.environment == "dev"
	count(governance.waived) == 1 with input as eco
}

test_exception_without_environment_waives_all if {
	target := {"kind": "Platform", "name": "api-platform"}
	eco := with_exceptions(too_big, {"big": fixtures.exception("big", "resources.ceiling", target, "2026-11-23")})
	count(governance.findings) == 0 with input as eco
	{[w.environment, w.exception] | some w in governance.waived} == {["dev", "big"], ["prod", "big"]} with input as eco
}

test_expired_exception_waives_nothing if {
	eco := with_exceptions(too_big, {"big-dev": fixtures.exception("big-dev", "resources.ceiling", ceiling_target("dev"), "2026-11-22")})
	summary(governance.findings) == {
		["resources.ceiling", "dev", "error"],
		["resources.ceiling", "prod", "error"],
	} with input as eco
	count(governance.waived) == 0 with input as eco

	# ... and is itself reported.
	some f in governance.findings with input as eco
	f.ruleId == "exceptions.expired"
	f.name == "big-dev"
}

test_exception_must_match_rule_kind_and_name if {
	eco := with_exceptions(too_big, {
		"other-rule": fixtures.exception("other-rule", "resources.required", ceiling_target("dev"), "2027-01-01"),
		"other-name": fixtures.exception("other-name", "resources.ceiling", {"kind": "Platform", "name": "worker-platform"}, "2027-01-01"),
		"other-kind": fixtures.exception("other-kind", "resources.ceiling", {"kind": "PlatformTemplate", "name": "api-platform"}, "2027-01-01"),
		"other-env": fixtures.exception("other-env", "resources.ceiling", ceiling_target("staging"), "2027-01-01"),
	})
	count(governance.findings) == 2 with input as eco
	count(governance.waived) == 0 with input as eco
}

test_two_exceptions_name_the_first if {
	eco := with_exceptions(too_big, {
		"b-waiver": fixtures.exception("b-waiver", "resources.ceiling", ceiling_target("prod"), "2027-01-01"),
		"a-waiver": fixtures.exception("a-waiver", "resources.ceiling", ceiling_target("prod"), "2027-01-01"),
	})
	{w.exception | some w in governance.waived} == {"a-waiver"} with input as eco
}

test_environment_scoped_exception_does_not_waive_manifest_finding if {
	eco := object.union(fixtures.ecosystem, {"platforms": {"Bad": fixtures.manifest("Platform", "Bad", {})}})
	scoped := with_exceptions(eco, {"x": fixtures.exception("x", "naming.platform", {"kind": "Platform", "name": "Bad", "environment": "dev"}, "2027-01-01")})
	"naming.platform" in rule_ids(governance.findings) with input as scoped
	unscoped := with_exceptions(eco, {"x": fixtures.exception("x", "naming.platform", {"kind": "Platform", "name": "Bad"}, "2027-01-01")})
	not "naming.platform" in rule_ids(governance.findings) with input as unscoped
}

test_contract_exception_by_bare_name if {
	eco := object.union(fixtures.ecosystem, {"contract_files": {"store": {"1.2.0": "1.2.1"}}})
	some f in governance.findings with input as eco
	f.name == "store@1.2.0"
	waived := with_exceptions(eco, {"store": fixtures.exception("store", "contracts.semver", {"kind": "Contract", "name": "store"}, "2027-01-01")})
	count(governance.findings) == 0 with input as waived
	{w.name | some w in governance.waived} == {"store@1.2.0"} with input as waived
}

# --- severity overrides

test_tier_severity_override if {
	eco := with_severity(too_big, "dev", "resources.ceiling", "warning")
	summary(governance.findings) == {["resources.ceiling", "dev", "warning"], ["resources.ceiling", "prod", "error"]} with input as eco
}

test_tier_severity_off_drops if {
	eco := with_severity(too_big, "dev", "resources.ceiling", "off")
	summary(governance.findings) == {["resources.ceiling", "prod", "error"]} with input as eco
}

test_off_finding_is_not_listed_as_waived if {
	eco := with_exceptions(
		with_severity(too_big, "dev", "resources.ceiling", "off"),
		{"big-dev": fixtures.exception("big-dev", "resources.ceiling", ceiling_target("dev"), "2027-01-01")},
	)
	count(governance.waived) == 0 with input as eco
}

test_waived_finding_carries_override_severity if {
	eco := with_exceptions(
		with_severity(too_big, "dev", "resources.ceiling", "note"),
		{"big-dev": fixtures.exception("big-dev", "resources.ceiling", ceiling_target("dev"), "2027-01-01")},
	)
	{w.severity | some w in governance.waived} == {"note"} with input as eco
}

test_unknown_severity_is_ignored if {
	eco := with_severity(too_big, "dev", "resources.ceiling", "fatal")
	summary(governance.findings) == {["resources.ceiling", "dev", "error"], ["resources.ceiling", "prod", "error"]} with input as eco
}

test_override_can_raise_a_warning if {
	eco := with_severity(
		object.union(fixtures.ecosystem, {"environments": {"sbx-one": {"spec": {"createdAt": "2026-11-01T00:00:00Z"}}}}),
		"sandbox", "environments.expired", "error",
	)
	summary(governance.findings) == {["environments.expired", "sbx-one", "error"]} with input as eco
}

test_override_in_other_tier_does_not_apply if {
	eco := with_severity(too_big, "staging", "resources.ceiling", "off")
	count(governance.findings) == 2 with input as eco
}

test_host_port_severity_is_overridden_per_tier if {
	publishing := {env: {"api-platform": {"ports": [{"name": "metrics", "containerPort": 9100, "hostPort": 9100}]}} |
		some env in ["staging", "prod"]
	}
	eco := object.union(fixtures.ecosystem, {"resolved": publishing})
	summary(governance.findings) == {["network.host-port", "staging", "error"], ["network.host-port", "prod", "error"]} with input as eco
	lowered := with_severity(with_severity(eco, "staging", "network.host-port", "warning"), "prod", "network.host-port", "off")
	summary(governance.findings) == {["network.host-port", "staging", "warning"]} with input as lowered
}

# --- every rule package is wired into the entrypoint

broken := object.union(fixtures.ecosystem, {
	"platforms": {
		"Bad": fixtures.manifest("Platform", "Bad", {"owner": "ghost", "namespace": "web", "env": {"DB_PASSWORD": "x"}}),
	},
	"environments": {
		"Bad_Env": fixtures.manifest("Environment", "Bad_Env", {"tier": "dev", "adapter": "local"}),
		"sbx-one": {"spec": {"createdAt": "2026-11-01T00:00:00Z"}},
		"pr-7": {"spec": {"ttl": "30d"}},
	},
	"resolved": {"prod": {"api-platform": {
		"resources": {"memoryMb": 99999},
		"network": {"policy": "allow-all"},
		"ports": [{"name": "http", "containerPort": 8080, "hostPort": 80}],
		"image": "example/api:latest",
		"sandbox": {"user": "root"},
		"consumes": ["queue@^1.0.0"],
		"healthCheck": {"command": []},
	}}},
	"contracts": {"api": {"1.2.0": fixtures.contract("api", "1.2.0", [fixtures.get_op])}},
	"contract_files": {"api": {"1.2.0": "1.2"}},
	"exceptions": {"old": fixtures.exception("old", "images.pinned", {"kind": "Platform", "name": "api-platform"}, "2020-01-01")},
})

test_every_rule_reaches_the_entrypoint if {
	broken_without := json.remove(broken, ["resolved/dev/worker-platform/resources/diskMb", "environments/staging/spec/promotion"])
	ids := {f.ruleId | some f in governance.findings} with input as broken_without
	ids == {
		"naming.platform", "naming.environment", "ownership.owner", "resources.required", "resources.ceiling",
		"network.open-in-prod", "network.host-port", "secrets.plaintext", "images.pinned", "sandbox.hardened", "health.required",
		"contracts.semver", "contracts.breaking", "contracts.unsatisfied", "environments.ttl",
		"environments.expired", "promotion.source", "exceptions.expired",
	}
}
