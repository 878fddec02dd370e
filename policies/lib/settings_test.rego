package lib.settings_test

import data.lib.settings

test_defaults_without_settings if {
	settings.naming_pattern("platform") == `^[a-z][a-z0-9-]{1,40}-platform$` with input as {}
	settings.key_pattern == settings.default_key_pattern with input as {}
	settings.value_patterns == settings.default_value_patterns with input as {}
	not settings.ttl_max_hours("sandbox") with input as {}
}

test_settings_win if {
	s := {"settings": {"naming": {"environment": "^e$"}, "ttl": {"maxHours": {"preview": 24}}}}
	settings.naming_pattern("environment") == "^e$" with input as s
	settings.ttl_max_hours("preview") == 24 with input as s
}

test_default_key_pattern if {
	every key in ["DB_PASSWORD", "passwd", "API_KEY", "apiKey", "client_secret", "GITHUB_TOKEN", "privateKey", "credentials"] {
		regex.match(settings.default_key_pattern, key)
	}
	every key in ["LOG_LEVEL", "HTTP_PORT", "POLICY_BUNDLE_PATH", "retentionDays", "socket"] {
		not regex.match(settings.default_key_pattern, key)
	}
}

test_default_value_patterns if {
	samples := [
		"-----BEGIN OPENSSH PRIVATE KEY-----",
		"AKIAABCDEFGHIJKLMNOP",
		"ghp_0123456789abcdefghijABCDEFGHIJ0123456789",
		"github_pat_0123456789abcdefghij_ABCDEFG",
		"xoxb-1234567890-abcdef",
		"AIzaSyA0123456789abcdefghijklmnopqrstuv",
		"sk_live_0123456789abcdefABCD",
		"glpat-0123456789abcdefghij",
		"npm_0123456789abcdefghijABCDEFGHIJ012345",
		"eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U",
		"postgres://app:s3cret@db:5432/app",
	]
	every s in samples {
		some p in settings.default_value_patterns
		regex.match(p, s)
	}
	every s in ["json", "/var/run/docker.sock", "https://example.com/path", "mnops/base:1.2.0", "eu-west-1"] {
		count({p | some p in settings.default_value_patterns; regex.match(p, s)}) == 0
	}
}
