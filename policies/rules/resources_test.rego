package rules.resources_test

import data.fixtures
import data.rules.resources

test_missing_limit_fires if {
	eco := json.remove(fixtures.ecosystem, ["resolved/dev/api-platform/resources/maxThreads"])
	vs := resources.violation with input as eco
	some f in vs
	f.ruleId == "resources.required"
	f.environment == "dev"
	f.name == "api-platform"
	f.path == "/resources/maxThreads"
	f.resolved == true
	count(vs) == 1
}

test_missing_resources_fires if {
	eco := json.remove(fixtures.ecosystem, ["resolved/prod/worker-platform/resources"])
	vs := resources.violation with input as eco
	{[f.ruleId, f.path] | some f in vs} == {["resources.required", "/resources"]}
}

test_all_limits_ok if {
	count(resources.violation) == 0 with input as fixtures.ecosystem
}

test_ceiling_fires if {
	eco := fixtures.with_resolved("prod", "api-platform", {"resources": {"memoryMb": 32768}})
	vs := resources.violation with input as eco
	some f in vs
	f.ruleId == "resources.ceiling"
	f.path == "/resources/memoryMb"
	f.resolved == true
	f.message == "memoryMb 32768 of api-platform in prod exceeds the prod ceiling 16384"
}

test_ceiling_fractional_cpu_fires if {
	eco := fixtures.with_resolved("sbx-one", "worker-platform", {"resources": {"cpuCores": 1.5}})
	vs := resources.violation with input as eco
	some f in vs
	f.message == "cpuCores 1.5 of worker-platform in sbx-one exceeds the sandbox ceiling 1"
}

test_ceiling_equal_is_ok if {
	eco := fixtures.with_resolved("prod", "api-platform", {"resources": {"memoryMb": 16384}})
	count(resources.violation) == 0 with input as eco
}

test_no_ceiling_for_tier_is_ok if {
	eco := json.remove(fixtures.with_resolved("prod", "api-platform", {"resources": {"memoryMb": 99999}}), ["settings/tiers/prod"])
	count(resources.violation) == 0 with input as eco
}
