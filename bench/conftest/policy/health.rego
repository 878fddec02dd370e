# health.required (policies/rules/health.rego): a Platform declares a health check command.
package main

deny contains msg if {
	input.kind == "Platform"
	not count(object.get(input.spec, ["healthCheck", "command"], [])) > 0
	msg := sprintf("health.required: %v declares no health check", [input.metadata.name])
}
