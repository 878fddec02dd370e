# resources.required (policies/rules/resources.rego): a Platform file declares all six limits.
# Per file there is no template chain to resolve, so the limits must be in the file itself.
package main

limits := ["cpuCores", "memoryMb", "diskMb", "maxOpenFds", "maxProcesses", "maxThreads"]

deny contains msg if {
	input.kind == "Platform"
	not input.spec.resources
	msg := sprintf("resources.required: %v declares no resource limits", [input.metadata.name])
}

deny contains msg if {
	input.kind == "Platform"
	resources := input.spec.resources
	some limit in limits
	not limit in object.keys(resources)
	msg := sprintf("resources.required: %v declares no %s limit", [input.metadata.name, limit])
}
