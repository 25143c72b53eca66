#!/bin/sh
# The `stamp` exec command of the example: appends one line per performed action to the file named by its first
# argument (outside the mesh), so a user can see each requested stamp performed once, whichever node led.
set -eu
args=$(cat)
printf '%s %s %s %s\n' "$(date -u +%FT%TZ)" "${AGENTMESH_NODE_ID:-?}" "${AGENTMESH_IDEMPOTENCY_KEY:-?}" "$args" >> "$1"
