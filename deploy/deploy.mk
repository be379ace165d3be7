# deploy.mk - deployment targets (issue 5), included by the top Makefile.
#
#   make test-schema    static checks of docker-compose.yml (part of make test)
#   make test-deploy    the compose stack for real, in a private dockerd
#   make test-netns     router, gateways and HAProxy in network namespaces
#
# test-deploy and test-netns need root (dockerd, ip netns); each installs
# its Debian packages first and cleans up after itself, also on failure.

DEPLOY_CACHE ?= build/deploy-cache
DEPLOY_OUT   ?= build/deploy-out

.PHONY: test-schema test-deploy test-netns

test-schema:
	sh tests/deploy/schema-test.sh

test-deploy:
	sh scripts/install-deps.sh docker.io debootstrap
	DEPLOY_CACHE=$(DEPLOY_CACHE) DEPLOY_OUT=$(DEPLOY_OUT) bash tests/deploy/compose-test.sh

test-netns: all
	sh scripts/install-deps.sh haproxy
	DEPLOY_OUT=$(DEPLOY_OUT) bash tests/deploy/netns-test.sh $(BIN)
