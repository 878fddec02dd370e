package rules.contracts_test

import data.fixtures
import data.rules.contracts

get_op := fixtures.get_op

list_op := fixtures.list_op

# The fixture plus api@1.2.0 built from the given operations (and the fixture's event).
with_api_120(operations) := object.union(fixtures.ecosystem, {
	"contracts": {"api": {"1.2.0": fixtures.contract("api", "1.2.0", operations)}},
	"contract_files": {"api": {"1.2.0": "1.2.0"}},
})

messages(vs) := {f.message | some f in vs}

# --- contracts.semver

test_invalid_version_fires if {
	eco := object.union(fixtures.ecosystem, {
		"contracts": {"store": {"1.3": fixtures.contract("store", "1.3", [get_op])}},
		"contract_files": {"store": {"1.3": "1.3"}},
	})
	vs := contracts.violation with input as eco
	some f in vs
	f.ruleId == "contracts.semver"
	f.kind == "Contract"
	f.name == "store@1.3"
	f.path == "/spec/version"
	f.message == "contract store version 1.3 is not a valid semantic version"
}

test_file_name_mismatch_fires if {
	eco := object.union(fixtures.ecosystem, {"contract_files": {"store": {"1.2.0": "1.2.1"}}})
	vs := contracts.violation with input as eco
	messages(vs) == {"contract store declares version 1.2.0 in file 1.2.1.yaml"}
}

test_file_name_not_a_version_fires if {
	eco := object.union(fixtures.ecosystem, {"contract_files": {"store": {"1.2.0": "store-latest"}}})
	vs := contracts.violation with input as eco
	{f.hint | some f in vs} == {"rename the file to 1.2.0.yaml"}
}

test_versions_ok if {
	count(contracts.violation) == 0 with input as fixtures.ecosystem
}

# --- contracts.breaking

test_removed_operation_fires if {
	vs := contracts.violation with input as with_api_120([get_op])
	count(vs) == 1
	some f in vs
	f.ruleId == "contracts.breaking"
	f.name == "api@1.2.0"
	f.path == "/spec/operations"
	f.message == "contract api 1.2.0 is not compatible with 1.1.0: it removes operation list"
	f.hint == "bump the major version or restore operation list"
}

test_removed_event_fires if {
	eco := json.remove(with_api_120([get_op, list_op]), ["contracts/api/1.2.0/spec/events"])
	vs := contracts.violation with input as eco
	messages(vs) == {"contract api 1.2.0 is not compatible with 1.1.0: it removes event thing.happened"}
}

test_removed_output_field_fires if {
	eco := json.remove(with_api_120([get_op, list_op]), ["contracts/api/1.2.0/spec/operations/0/output/properties/size"])
	vs := contracts.violation with input as eco
	some f in vs
	f.path == "/spec/operations/0/output/properties"
	f.message == "contract api 1.2.0 is not compatible with 1.1.0: it removes output field size of operation get"
	f.hint == "bump the major version or restore output field size of operation get"
}

test_retyped_output_field_fires if {
	op := object.union(get_op, {"output": {"properties": {"size": {"type": ["string", "null"]}}}})
	vs := contracts.violation with input as with_api_120([list_op, op])
	some f in vs
	f.path == "/spec/operations/1/output/properties/size/type"
	f.message == "contract api 1.2.0 is not compatible with 1.1.0: it changes the type (integer to string|null) of output field size of operation get"
	f.hint == "bump the major version or restore output field size of operation get as integer"
}

test_retyped_event_payload_fires if {
	eco := object.union(with_api_120([get_op, list_op]), {"contracts": {"api": {"1.2.0": {"spec": {"events": [{
		"name": "thing.happened",
		"payload": {"properties": {"id": {"type": "integer"}}},
	}]}}}}})
	vs := contracts.violation with input as eco
	some f in vs
	f.path == "/spec/events/0/payload/properties/id/type"
	contains(f.message, "payload field id of event thing.happened")
}

test_new_required_input_fires if {
	op := object.union(get_op, {"input": {"required": ["id", "tenant", "zone"]}})
	vs := contracts.violation with input as with_api_120([op, list_op])
	some f in vs
	f.path == "/spec/operations/0/input/required"
	f.message == "contract api 1.2.0 is not compatible with 1.1.0: it newly requires input field(s) tenant, zone of operation get"
	f.hint == "bump the major version or make input field(s) tenant, zone of operation get optional again"
}

test_additions_are_compatible if {
	op := object.union(get_op, {"output": {"properties": {"etag": {"type": "string"}}}})
	count(contracts.violation) == 0 with input as with_api_120([op, list_op, {"name": "stat"}])
}

test_each_step_reported_once if {
	# 1.0.0 -> 1.1.0 -> 1.2.0: only 1.1.0 -> 1.2.0 loses `list`; 1.0.0 never had it.
	vs := contracts.violation with input as with_api_120([get_op])
	{f.name | some f in vs} == {"api@1.2.0"}
}

test_major_bump_may_break if {
	# the fixture's api 2.0.0 drops `get`, which is allowed across a major version.
	count(contracts.violation) == 0 with input as fixtures.ecosystem
}

# --- contracts.unsatisfied

test_range_not_met_fires if {
	eco := fixtures.with_resolved("dev", "worker-platform", {"consumes": ["api@^2.0.0"]})
	vs := contracts.violation with input as eco
	count(vs) == 1
	some f in vs
	f.ruleId == "contracts.unsatisfied"
	f.environment == "dev"
	f.name == "worker-platform"
	f.path == "/consumes/0"
	f.resolved == true
	f.message == "worker-platform consumes api@^2.0.0 but dev only offers api 1.1.0"
}

test_nothing_provides_fires if {
	eco := fixtures.with_resolved("prod", "api-platform", {"consumes": ["store@^1.0.0", "queue@^1.0.0"]})
	vs := contracts.violation with input as eco
	some f in vs
	f.path == "/consumes/1"
	f.message == "api-platform consumes queue@^1.0.0 but nothing in prod provides queue"
}

test_provider_missing_from_environment_fires if {
	eco := json.remove(fixtures.ecosystem, ["resolved/staging/api-platform"])
	vs := contracts.violation with input as eco
	{[f.environment, f.name] | some f in vs} == {["staging", "worker-platform"]}
}

test_platform_and_adapter_providers_ok if {
	# worker-platform's api@^1.0.0 is met by api-platform, api-platform's store@^1.0.0 by the adapter.
	count(contracts.violation) == 0 with input as fixtures.ecosystem
}
