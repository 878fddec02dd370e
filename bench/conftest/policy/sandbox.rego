# sandbox.hardened (policies/rules/sandbox.rego): a Platform runs read-only, no-new-privileges,
# capDrop ALL, as a non-root user. Ours checks prod only; per file there is no tier, so every file.
package main

deny contains msg if {
	input.kind == "Platform"
	object.get(input.spec, ["sandbox", "readOnlyRootfs"], false) != true
	msg := sprintf("sandbox.hardened: %v does not set readOnlyRootfs: true", [input.metadata.name])
}

deny contains msg if {
	input.kind == "Platform"
	object.get(input.spec, ["sandbox", "noNewPrivileges"], false) != true
	msg := sprintf("sandbox.hardened: %v does not set noNewPrivileges: true", [input.metadata.name])
}

deny contains msg if {
	input.kind == "Platform"
	not "ALL" in object.get(input.spec, ["sandbox", "capDrop"], [])
	msg := sprintf("sandbox.hardened: %v does not drop ALL capabilities", [input.metadata.name])
}

deny contains msg if {
	input.kind == "Platform"
	not non_root(object.get(input.spec, ["sandbox", "user"], ""))
	msg := sprintf("sandbox.hardened: %v does not set a non-root user", [input.metadata.name])
}

# non_root(user): a non-empty string whose user part is neither `root` nor a number of value 0.
non_root(user) if {
	is_string(user)
	name := split(user, ":")[0]
	name != "root"
	trim_left(name, "0") != ""
}
