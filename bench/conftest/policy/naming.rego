# naming.platform, naming.environment (policies/rules/naming.rego), one manifest at a time,
# with the default patterns of policies/lib/settings.rego.
package main

platform_name := `^[a-z][a-z0-9-]{1,40}-platform$`

environment_name := `^[a-z][a-z0-9-]{1,30}$`

deny contains msg if {
	input.kind == "Platform"
	not regex.match(platform_name, input.metadata.name)
	msg := sprintf("naming.platform: platform name %v does not match %s", [input.metadata.name, platform_name])
}

deny contains msg if {
	input.kind == "Environment"
	not regex.match(environment_name, input.metadata.name)
	msg := sprintf("naming.environment: environment name %v does not match %s", [input.metadata.name, environment_name])
}
