# deploy.mk - deployment targets (owned by the deployment work, issue 5).
.PHONY: test-schema
test-schema:
	docker-compose -f docker-compose.yml config -q
