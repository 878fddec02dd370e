# images.pinned (policies/rules/images.rego): a Platform's image carries a sha256 digest or an
# exact version tag; `${version}` counts as exact (the loader puts the platform's version there).
package main

exact_version := `^v?(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)\.(0|[1-9][0-9]*)(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?(\+[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?$`

deny contains msg if {
	input.kind == "Platform"
	not input.spec.image
	msg := sprintf("images.pinned: %v has no image", [input.metadata.name])
}

deny contains msg if {
	input.kind == "Platform"
	image := input.spec.image
	not pinned(image)
	msg := sprintf("images.pinned: image %v of %v is neither a sha256 digest nor an exact version tag", [image, input.metadata.name])
}

pinned(image) if regex.match(`@sha256:[a-f0-9]{64}$`, image)

pinned(image) if regex.match(exact_version, image_tag(image))

pinned(image) if image_tag(image) == "${version}"

# image_tag(image): the tag of a reference without a digest; undefined when untagged.
image_tag(image) := t if {
	not contains(image, "@")
	segments := split(image, "/")
	last := segments[count(segments) - 1]
	contains(last, ":")
	t := split(last, ":")[1]
}
