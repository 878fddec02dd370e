package rules.images_test

import data.fixtures
import data.rules.images

# with_image(env, image): the fixture with api-platform's image in env replaced.
with_image(env, image) := fixtures.with_resolved(env, "api-platform", {"image": image})

test_latest_fires if {
	some f in images.violation with input as with_image("prod", "example/api:latest")
	f.ruleId == "images.pinned"
	f.path == "/image"
	f.message == "image example/api:latest of api-platform in prod is tagged latest"
}

test_untagged_fires if {
	some f in images.violation with input as with_image("staging", "registry.local:5000/example/api")
	contains(f.message, "untagged")
}

test_floating_tag_fires if {
	some f in images.violation with input as with_image("prod", "example/api:1.2")
	contains(f.message, "tagged 1.2, not an exact version")
}

test_bad_digest_fires if {
	some f in images.violation with input as with_image("prod", "example/api@sha256:abc")
	contains(f.message, "digest")
}

test_missing_image_fires if {
	eco := json.remove(fixtures.ecosystem, ["resolved/prod/api-platform/image"])
	vs := images.violation with input as eco
	{f.message | some f in vs} == {"api-platform has no image in prod"}
}

test_exact_version_ok if {
	count(images.violation) == 0 with input as with_image("prod", "registry.local:5000/example/api:1.2.0")
	count(images.violation) == 0 with input as with_image("prod", "example/api:v1.2.0-rc.1")
}

test_digest_ok if {
	count(images.violation) == 0 with input as with_image("prod", "example/api@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef")
}

test_latest_in_dev_ok if {
	count(images.violation) == 0 with input as with_image("dev", "example/api:latest")
}
