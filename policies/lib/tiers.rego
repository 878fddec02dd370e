# Environment tiers and the settings that hang off them.
package lib.tiers

# Tiers where what runs is what customers use: stricter image, network and health rules.
strict_tiers := {"staging", "prod"}

# Tiers whose environments are short-lived and must expire.
ephemeral_tiers := {"sandbox", "preview"}

# tier(env) is the tier of an environment by name (undefined if the environment is unknown).
tier(env) := input.environments[env].spec.tier

# strict(env) holds for staging and prod tier environments.
strict(env) if tier(env) in strict_tiers

# prod(env) holds for prod tier environments (customer instances are prod tier too).
prod(env) if tier(env) == "prod"

# ephemeral(env) holds for sandbox and preview tier environments.
ephemeral(env) if tier(env) in ephemeral_tiers

# ceiling(env, limit) is the tier's ceiling for one resource limit, if the settings set one.
ceiling(env, limit) := input.settings.tiers[tier(env)].ceilings[limit]

# severity_override(env, rule) is the tier's severity for a rule, if the settings set one.
severity_override(env, rule) := input.settings.tiers[tier(env)].severity[rule]
