package rules.ownership_test

import data.fixtures
import data.rules.ownership

test_owner_not_listed_fires if {
	eco := object.union(fixtures.ecosystem, {"platforms": {"api-platform": {"spec": {"owner": "ghost-team"}}}})
	vs := ownership.violation with input as eco
	some f in vs
	f.ruleId == "ownership.owner"
	f.name == "api-platform"
	f.path == "/spec/owner"
	contains(f.message, "ghost-team")
	contains(f.hint, "web")
}

test_owner_missing_fires if {
	eco := json.remove(fixtures.ecosystem, ["platforms/api-platform/spec/owner"])
	vs := ownership.violation with input as eco
	{f.message | some f in vs} == {"platform api-platform has no owner"}
}

test_owner_listed_ok if {
	count(ownership.violation) == 0 with input as fixtures.ecosystem
}

test_unknown_namespace_is_not_this_rule if {
	eco := object.union(fixtures.ecosystem, {"platforms": {"api-platform": {"spec": {"namespace": "nowhere"}}}})
	count(ownership.violation) == 0 with input as eco
}
