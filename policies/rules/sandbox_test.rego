package rules.sandbox_test

import data.fixtures
import data.rules.sandbox

paths(vs) := {f.path | some f in vs}

test_soft_sandbox_in_prod_fires if {
	eco := fixtures.with_resolved("prod", "api-platform", {"sandbox": {
		"readOnlyRootfs": false,
		"noNewPrivileges": false,
		"capDrop": ["NET_RAW"],
		"user": "0:0",
	}})
	vs := sandbox.violation with input as eco
	paths(vs) == {"/sandbox/readOnlyRootfs", "/sandbox/noNewPrivileges", "/sandbox/capDrop", "/sandbox/user"}
	some f in vs
	f.path == "/sandbox/user"
	f.ruleId == "sandbox.hardened"
	f.resolved == true
	f.message == "api-platform in prod environment prod runs as root (user 0:0)"
}

test_missing_sandbox_in_prod_fires if {
	eco := json.remove(fixtures.ecosystem, ["resolved/prod/worker-platform/sandbox"])
	vs := sandbox.violation with input as eco
	count(vs) == 4
	some f in vs
	f.path == "/sandbox/user"
	contains(f.message, "does not set a non-root user")
}

test_root_by_name_fires if {
	eco := fixtures.with_resolved("prod", "api-platform", {"sandbox": {"user": "root"}})
	paths(sandbox.violation) == {"/sandbox/user"} with input as eco
}

test_hardened_prod_ok if {
	count(sandbox.violation) == 0 with input as fixtures.ecosystem
}

test_soft_sandbox_in_staging_ok if {
	eco := json.remove(fixtures.ecosystem, ["resolved/staging/api-platform/sandbox"])
	count(sandbox.violation) == 0 with input as eco
}
