#!/bin/sh
# An agent as agentmesh runs it: an ordinary program that keeps its memory in files of its workspace (its working
# directory) and asks the mesh for side effects over HTTP. agentmesh starts it on the leader only, mirrors its files
# to every node, and starts it again on another node when the leader dies: it resumes from its files.
#
# Every BEAT_SECONDS it counts one beat in counter.txt, appends a line to today's memory/YYYY-MM-DD.md, rewrites
# HEARTBEAT.md, and every third beat requests the `stamp` exec action (defined in each node's exec.json), which the
# leader performs once. Needs only sh and curl.
set -u
beat_seconds="${BEAT_SECONDS:-2}"
api="${AGENTMESH_API:?run me under agentmesh: AGENTMESH_API is not set}"
node="${AGENTMESH_NODE_ID:-unknown}"
fence="${AGENTMESH_FENCE:-}"
mkdir -p memory

count=0
if [ -f counter.txt ]; then
  count=$(tr -cd '0-9' < counter.txt)
  count=${count:-0}
fi
echo "counter-agent: starting on ${node} with fence ${fence}, resuming at beat ${count}"

stop() { echo "counter-agent: stopping at beat ${count}"; exit 0; }
trap stop TERM INT

while :; do
  count=$((count + 1))
  now=$(date -u +%H:%M:%S)
  # Write-then-rename, so the mirror never reads a half-written file.
  printf '%s\n' "$count" > counter.txt.tmp && mv counter.txt.tmp counter.txt
  printf -- '- %s beat %s on %s\n' "$now" "$count" "$node" >> "memory/$(date -u +%F).md"
  printf '# Heartbeat\n\nLast beat %s at %s UTC on %s (fence %s).\n' "$count" "$now" "$node" "$fence" > HEARTBEAT.md.tmp \
    && mv HEARTBEAT.md.tmp HEARTBEAT.md
  if [ $((count % 3)) -eq 0 ]; then
    # The fence header makes a deposed instance's late request fail (409) instead of acting.
    curl -s -o /dev/null -w "counter-agent: beat ${count}: stamp requested, HTTP %{http_code}\n" \
      -H "Agentmesh-Fence: ${fence}" -H 'Content-Type: application/json' \
      -X POST "${api}/v1/intents" \
      -d "{\"kind\":\"exec\",\"payload\":{\"command\":\"stamp\",\"args\":{\"beat\":${count}}}}" || true
  fi
  sleep "$beat_seconds" &
  wait $!
done
