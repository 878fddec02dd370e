package rules.health_test

import data.fixtures
import data.rules.health

test_missing_health_in_prod_fires if {
	eco := json.remove(fixtures.ecosystem, ["resolved/prod/api-platform/healthCheck"])
	vs := health.violation with input as eco
	some f in vs
	f.ruleId == "health.required"
	f.environment == "prod"
	f.name == "api-platform"
	f.path == "/healthCheck"
	count(vs) == 1
}

test_empty_command_in_staging_fires if {
	eco := object.union(fixtures.ecosystem, {"resolved": {"staging": {"worker-platform": {"healthCheck": {"command": []}}}}})
	count(health.violation) == 1 with input as eco
}

test_missing_health_in_dev_ok if {
	eco := json.remove(fixtures.ecosystem, ["resolved/dev/api-platform/healthCheck"])
	count(health.violation) == 0 with input as eco
}

test_health_declared_ok if {
	count(health.violation) == 0 with input as fixtures.ecosystem
}
