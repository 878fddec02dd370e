# exceptions.expired: a PolicyException past its expiry date waives nothing and is an error.
package rules.exceptions

import data.lib.findings

violation contains f if {
	some name, exception in input.exceptions
	exception.spec.expires < input.today
	f := findings.manifest(
		"exceptions.expired", "PolicyException", name, "/spec/expires",
		sprintf("policy exception %s for %s on %s %s expired on %s", [name, exception.spec.rule, exception.spec.target.kind, exception.spec.target.name, exception.spec.expires]),
		"remove the exception once the finding is fixed, or renew spec.expires with a fresh approval",
	)
}
