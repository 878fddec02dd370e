# sandbox.hardened: prod platforms run read-only, no-new-privileges, capDrop ALL, non-root.
package rules.sandbox

import data.lib.findings
import data.lib.tiers

fields := ["readOnlyRootfs", "noNewPrivileges", "capDrop", "user"]

violation contains f if {
	some env, platforms in input.resolved
	tiers.prod(env)
	some name, spec in platforms
	sandbox := object.get(spec, "sandbox", {})
	some field in fields
	failure := failed(sandbox, field)
	f := findings.resolved(
		"sandbox.hardened", env, name, sprintf("/sandbox/%s", [field]),
		sprintf("%s in prod environment %s %s", [name, env, failure.problem]),
		failure.hint,
	)
}

# failed(sandbox, field) describes why one hardening field fails; undefined when it passes.
failed(sandbox, "readOnlyRootfs") := {
	"problem": "does not set readOnlyRootfs: true",
	"hint": "set sandbox.readOnlyRootfs: true (mount writable paths as volumes)",
} if {
	object.get(sandbox, "readOnlyRootfs", false) != true
}

failed(sandbox, "noNewPrivileges") := {
	"problem": "does not set noNewPrivileges: true",
	"hint": "set sandbox.noNewPrivileges: true",
} if {
	object.get(sandbox, "noNewPrivileges", false) != true
}

failed(sandbox, "capDrop") := {
	"problem": "does not drop ALL capabilities",
	"hint": "set sandbox.capDrop: [ALL]",
} if {
	not "ALL" in object.get(sandbox, "capDrop", [])
}

failed(sandbox, "user") := {
	"problem": "does not set a non-root user",
	"hint": `set sandbox.user to a non-root uid, e.g. "1000:1000"`,
} if {
	not named_user(sandbox)
}

failed(sandbox, "user") := {
	"problem": sprintf("runs as root (user %s)", [sandbox.user]),
	"hint": `set sandbox.user to a non-root uid, e.g. "1000:1000"`,
} if {
	named_user(sandbox)
	root(split(sandbox.user, ":")[0])
}

# named_user(sandbox): sandbox.user is a non-empty string (omitted, empty or not a string:
# the runtime's default user, which is root).
named_user(sandbox) if {
	is_string(sandbox.user)
	sandbox.user != ""
}

# root(user): the user part of `user` or `user:group` is uid 0: `root`, or a number whose
# decimal value is 0 (`0`, `00`, …), or empty (`:1000`, the default user).
root("root")

root(user) if trim_left(user, "0") == ""
