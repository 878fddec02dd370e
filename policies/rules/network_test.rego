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
