#!/usr/bin/env python3
"""check_compose_refs.py - every name a compose service uses is declared.

Usage: check_compose_refs.py FILE...

`docker-compose config -q` validates the schema, but accepts a service
that names a network the file never declares (it fails only at `up`).
This check reads each file and reports, for every service:
  - a network in `networks:` (list or mapping) not declared at top level;
  - a named volume in `volumes:` (short "name:/path" or long
    {type: volume, source: name}) not declared at top level;
  - a secret or config not declared at top level;
  - a service in `depends_on`, `links`, `volumes_from` or
    `network_mode: service:NAME` that does not exist.
Bind mounts (paths), tmpfs and anonymous volumes need no declaration. The
implicit network "default" is always declared. Exit 0 if every file is
clean, 1 with one line per problem otherwise, 2 on unreadable input.
"""

import sys

import yaml

IMPLICIT_NETWORKS = {"default"}
PATH_STARTS = ("/", ".", "~", "$")


def s_names(value):
    """Names from a compose list-or-mapping field."""
    if value is None:
        return []
    if isinstance(value, dict):
        return list(value)
    if isinstance(value, list):
        return [item if isinstance(item, str) else item.get("source", "") for item in value]
    return [str(value)]


def s_named_volume(entry):
    """The named volume an entry of service `volumes:` refers to, or None."""
    if isinstance(entry, dict):
        if entry.get("type", "volume") != "volume":
            return None
        return entry.get("source") or None
    text = str(entry)
    if ":" not in text:
        return None                 # anonymous volume: "/data"
    source = text.split(":", 1)[0]
    if not source or source.startswith(PATH_STARTS):
        return None                 # bind mount
    return source


def s_service_ref(entry):
    """The service named by a links / volumes_from entry."""
    text = str(entry)
    if text.startswith("container:"):
        return None
    if text.startswith("service:"):
        text = text[len("service:"):]
    return text.split(":", 1)[0]


def check(document):
    """Returns the list of problems in one parsed compose document."""
    problems = []
    if not isinstance(document, dict) or not isinstance(document.get("services"), dict):
        return ["no services mapping"]
    services = document["services"]
    declared = {
        "network": set(document.get("networks") or {}) | IMPLICIT_NETWORKS,
        "volume": set(document.get("volumes") or {}),
        "secret": set(document.get("secrets") or {}),
        "config": set(document.get("configs") or {}),
    }

    for name, service in services.items():
        service = service or {}

        def s_require(kind, ref, known):
            if ref not in known:
                problems.append("service %s: %s %r is not declared" % (name, kind, ref))

        for network in s_names(service.get("networks")):
            s_require("network", network, declared["network"])
        for entry in service.get("volumes") or []:
            volume = s_named_volume(entry)
            if volume is not None:
                s_require("volume", volume, declared["volume"])
        for secret in s_names(service.get("secrets")):
            s_require("secret", secret, declared["secret"])
        for config in s_names(service.get("configs")):
            s_require("config", config, declared["config"])
        for dependency in s_names(service.get("depends_on")):
            s_require("service (depends_on)", dependency, services)
        for entry in service.get("links") or []:
            s_require("service (links)", s_service_ref(entry), services)
        for entry in service.get("volumes_from") or []:
            ref = s_service_ref(entry)
            if ref is not None:
                s_require("service (volumes_from)", ref, services)
        mode = str(service.get("network_mode", ""))
        if mode.startswith("service:"):
            s_require("service (network_mode)", mode[len("service:"):], services)
    return problems


def main(paths):
    if not paths:
        print(__doc__.strip().split("\n")[2], file=sys.stderr)
        return 2
    failed = False
    for path in paths:
        try:
            with open(path, encoding="utf-8") as stream:
                document = yaml.safe_load(stream)
        except (OSError, yaml.YAMLError) as error:
            print("%s: %s" % (path, error), file=sys.stderr)
            return 2
        for problem in check(document):
            print("%s: %s" % (path, problem))
            failed = True
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
