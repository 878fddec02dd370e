# images.pinned: staging and prod images carry a digest or an exact version tag.
package rules.images

import data.lib.findings
import data.lib.tiers

violation contains f if {
	some env, platforms in input.resolved
	tiers.strict(env)
	some name, spec in platforms
	not spec.image
	f := findings.strict_tier(
		"images.pinned", env, name, "/image",
		sprintf("%s has no image in %s", [name, env]),
		sprintf("set spec.image in platforms/%s/platform.yaml to a digest (@sha256:…) or an exact version tag such as :${version}", [name]),
	)
}

violation contains f if {
	some env, platforms in input.resolved
	tiers.strict(env)
	some name, spec in platforms
	image := spec.image
	not pinned(image)
	f := findings.strict_tier(
		"images.pinned", env, name, "/image",
		sprintf("image %s of %s in %s is %s", [image, name, env, problem(image)]),
		"pin spec.image to a digest (@sha256:…) or an exact version tag such as :${version}",
	)
}

# pinned(image) holds for a sha256 digest, or a tag that is an exact version (1.2.3, v1.2.3).
pinned(image) if regex.match(`@sha256:[a-f0-9]{64}$`, image)

pinned(image) if regex.match(exact_version, tag(image))

# An exact semantic version, optionally v-prefixed (a regex, not semver.is_valid: WASM runs
# regex.match natively, semver.is_valid is a host call, and this runs for every platform).
exact_version := `^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`

# tag(image) is the tag of an image reference without a digest; undefined if it has none.
tag(image) := t if {
	not contains(image, "@")
	segments := split(image, "/")
	last := segments[count(segments) - 1]
	contains(last, ":")
	t := split(last, ":")[1]
}

problem(image) := "pinned to a digest that is not sha256:<64 hex>" if contains(image, "@")

problem(image) := "untagged (latest)" if {
	not contains(image, "@")
	not tag(image)
}

problem(image) := "tagged latest" if tag(image) == "latest"

problem(image) := sprintf("tagged %s, not an exact version", [t]) if {
	t := tag(image)
	t != "latest"
}
