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

# with_user(user): the ecosystem with api-platform in prod running as `user`.
with_user(user) := fixtures.with_resolved("prod", "api-platform", {"sandbox": {"user": user}})

user_problems(eco) := {f.message |
	some f in sandbox.violation with input as eco
	f.path == "/sandbox/user"
}

test_every_spelling_of_uid_0_is_root if {
	every user in ["0", "00", "000", "root", "0:0", "0:1000", "root:root", "00:00", ":1000"] {
		user_problems(with_user(user)) == {sprintf("api-platform in prod environment prod runs as root (user %s)", [user])}
	}
}

test_omitted_or_empty_user_is_root if {
	omitted := json.remove(fixtures.ecosystem, ["resolved/prod/api-platform/sandbox/user"])
	every eco in [omitted, with_user(""), with_user(0), with_user(null)] {
		user_problems(eco) == {"api-platform in prod environment prod does not set a non-root user"}
	}
}

test_non_root_users_ok if {
	every user in ["1000", "1000:0", "1000:root", "0100", "10", "app", "rootless", "nobody:nogroup", "1000:1000"] {
		count(sandbox.violation) == 0 with input as with_user(user)
	}
}

test_root_in_staging_ok if {
	eco := fixtures.with_resolved("staging", "api-platform", {"sandbox": {"user": "00"}})
	count(sandbox.violation) == 0 with input as eco
}
