# ownership.owner: every platform has an owner, and its namespace lists that owner.
# A namespace that does not exist is ref.unknown (reported by the registry), not this rule.
package rules.ownership

import data.lib.findings

violation contains f if {
	some name, platform in input.platforms
	not platform.spec.owner
	f := findings.manifest(
		"ownership.owner", "Platform", name, "/spec/owner",
		sprintf("platform %s has no owner", [name]),
		"set spec.owner to the team that runs it",
	)
}

violation contains f if {
	some name, platform in input.platforms
	owner := platform.spec.owner
	ns := platform.spec.namespace
	owners := input.namespaces[ns].spec.owners
	not owner in owners
	f := findings.manifest(
		"ownership.owner", "Platform", name, "/spec/owner",
		sprintf("owner %s of platform %s is not listed by namespace %s (owners: %s)", [owner, name, ns, concat(", ", owners)]),
		sprintf("set spec.owner to one of %s, or add %s to spec.owners of namespace %s (registry/namespaces.yaml)", [concat(", ", owners), owner, ns]),
	)
}
