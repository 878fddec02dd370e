package rules.secrets_test

import data.fixtures
import data.rules.secrets

github_token := "ghp_0123456789abcdefghijABCDEFGHIJ0123456789"

test_platform_env_key_fires if {
	eco := object.union(fixtures.ecosystem, {"platforms": {"api-platform": {"spec": {"env": {"DB_PASSWORD": "hunter2hunter2"}}}}})
	vs := secrets.violation with input as eco
	count(vs) == 1
	some f in vs
	f.ruleId == "secrets.plaintext"
	f.kind == "Platform"
	f.name == "api-platform"
	f.path == "/spec/env/DB_PASSWORD"
	f.resolved == false
	not f.environment
	f.message == "platform api-platform sets secret-looking key env.DB_PASSWORD in plain text"
	not contains(f.message, "hunter2")
}

test_nested_config_key_fires if {
	eco := object.union(fixtures.ecosystem, {"templates": {"base": {"spec": {"config": {"db": {"db/password": "abc"}}}}}})
	vs := secrets.violation with input as eco
	{[f.kind, f.path] | some f in vs} == {["PlatformTemplate", "/spec/config/db/db~1password"]}
}

test_environment_config_fires if {
	eco := object.union(fixtures.ecosystem, {"environments": {"prod": {"spec": {"config": {"env": {"SLACK_TOKEN": "x"}}}}}})
	vs := secrets.violation with input as eco
	some f in vs
	f.kind == "Environment"
	f.environment == "prod"
	f.path == "/spec/config/env/SLACK_TOKEN"
}

test_instance_entry_value_pattern_fires if {
	eco := object.union(fixtures.ecosystem, {"instances": {"staging": {"spec": {"platforms": [
		{"name": "api-platform", "version": "1.2.0", "env": {"UPSTREAM": github_token}},
		{"name": "worker-platform", "version": "0.3.0"},
	]}}}})
	vs := secrets.violation with input as eco
	count(vs) == 1
	some f in vs
	f.kind == "PlatformInstance"
	f.name == "staging"
	f.environment == "staging"
	f.path == "/spec/platforms/0/env/UPSTREAM"
	contains(f.message, "the api-platform entry of instance staging")
	contains(f.message, "known token format")
	not contains(f.message, github_token)
}

test_adapter_settings_value_in_list_fires if {
	eco := object.union(fixtures.ecosystem, {"adapters": {"local": {"spec": {"settings": {"mirrors": ["https://bob:s3cr3t@mirror.example"]}}}}})
	vs := secrets.violation with input as eco
	{f.path | some f in vs} == {"/spec/settings/mirrors/0"}
}

test_private_key_under_secret_key_reported_once if {
	eco := object.union(fixtures.ecosystem, {"platforms": {"worker-platform": {"spec": {"config": {"tls": {"privateKey": "-----BEGIN RSA PRIVATE KEY-----"}}}}}})
	vs := secrets.violation with input as eco
	count(vs) == 1
}

test_settings_patterns_replace_defaults if {
	eco := object.union(fixtures.ecosystem, {
		"settings": {"secrets": {"keyPattern": "^MY_SECRET$", "valuePatterns": ["^zz-"]}},
		"platforms": {"api-platform": {"spec": {"env": {"DB_PASSWORD": "x", "MY_SECRET": "y", "OTHER": "zz-1"}}}},
	})
	vs := secrets.violation with input as eco
	{f.path | some f in vs} == {"/spec/env/MY_SECRET", "/spec/env/OTHER"}
}

test_clean_ecosystem_ok if {
	count(secrets.violation) == 0 with input as fixtures.ecosystem
}

test_empty_value_placeholder_and_non_string_ok if {
	eco := object.union(fixtures.ecosystem, {"platforms": {"api-platform": {"spec": {
		"env": {"DB_PASSWORD": "", "API_TOKEN": "${API_TOKEN}"},
		"config": {"tokenTtlSeconds": 3600, "secretsEnabled": true},
	}}}})
	count(secrets.violation) == 0 with input as eco
}

test_every_source_is_scanned if {
	eco := object.union(fixtures.ecosystem, {
		"templates": {"base": {"spec": {"env": {"UPSTREAM": github_token}}}},
		"environments": {"staging": {"spec": {"config": {"config": {"sink": {"url": "https://u:p4ss@logs.example"}}}}}},
		"instances": {"prod": {"spec": {"platforms": [
			{"name": "api-platform", "version": "1.2.0"},
			{"name": "worker-platform", "version": "0.3.0", "config": {"db": {"password": "x"}}},
		]}}},
		"adapters": {"local": {"spec": {"settings": {"apiKey": "k"}}}},
	})
	vs := secrets.violation with input as eco
	{[f.kind, f.name, f.path] | some f in vs} == {
		["PlatformTemplate", "base", "/spec/env/UPSTREAM"],
		["Environment", "staging", "/spec/config/config/sink/url"],
		["PlatformInstance", "prod", "/spec/platforms/1/config/db/password"],
		["Adapter", "local", "/spec/settings/apiKey"],
	}
}
