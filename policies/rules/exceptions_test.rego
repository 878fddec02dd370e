package rules.exceptions_test

import data.fixtures
import data.rules.exceptions

target := {"kind": "Platform", "name": "api-platform"}

test_expired_exception_fires if {
	eco := object.union(fixtures.ecosystem, {"exceptions": {"old": fixtures.exception("old", "resources.ceiling", target, "2026-11-22")}})
	vs := exceptions.violation with input as eco
	count(vs) == 1
	some f in vs
	f.ruleId == "exceptions.expired"
	f.severity == "error"
	f.kind == "PolicyException"
	f.name == "old"
	f.path == "/spec/expires"
	f.resolved == false
	not "environment" in object.keys(f)
	f.message == "policy exception old for resources.ceiling on Platform api-platform expired on 2026-11-22"
}

test_exception_expiring_today_ok if {
	eco := object.union(fixtures.ecosystem, {"exceptions": {"today": fixtures.exception("today", "resources.ceiling", target, "2026-11-23")}})
	count(exceptions.violation) == 0 with input as eco
}
