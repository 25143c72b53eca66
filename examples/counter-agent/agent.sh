#!/bin/sh
# An agent as agentmesh runs it: an ordinary program that keeps its memory in files of its workspace (its working
# directory) and asks the mesh for side effects over HTTP. agentmesh starts it on the leader only, mirrors its files
# to every node, and starts it again on another node when the leader dies: it resumes from its files.
#
# Every BEAT_SECONDS it counts one beat in counter.txt, appends a line to today's memory/YYYY-MM-DD.md, rewrites
# HEARTBEAT.md, and every third beat requests the `stamp` exec action (defined in each node's exec.json), which the
# leader performs once. Every LLM_EVERY beats it asks an LLM through its node (OpenAI's chat completions format, at
# $AGENTMESH_API/llm/openai/v1) and writes the reply, or why there is none, into its memory file: a failed call is a
# line in the file, never the agent's end. Needs only sh, sed and curl.
set -u
beat_seconds="${BEAT_SECONDS:-2}"
api="${AGENTMESH_API:?run me under agentmesh: AGENTMESH_API is not set}"
node="${AGENTMESH_NODE_ID:-unknown}"
fence="${AGENTMESH_FENCE:-}"
llm_every="${LLM_EVERY:-5}"
llm_model="${LLM_MODEL:-fake-small}"
mkdir -p memory

# The first JSON string value of "$1" in the body on stdin, on one line, quotes and newlines unescaped (enough for a
# reply or an error message; a real agent would use a JSON parser or an SDK).
json_field() {
  tr '\n' ' ' | sed -nE 's/.*"'"$1"'"[[:space:]]*:[[:space:]]*"(([^"\\]|\\.)*)".*/\1/p' \
    | sed -e 's/\\n/ /g' -e 's/\\"/"/g' | cut -c1-300
}

# Asks the LLM through the node; prints one line: the reply, or why there is none.
ask_llm() {
  body=$(printf '{"model":"%s","max_tokens":64,"messages":[{"role":"user","content":"Beat %s on %s: say something short."}]}' \
    "$llm_model" "$1" "$node")
  # The fence makes a deposed instance's late call fail (409) instead of spending.
  set -- -H 'Content-Type: application/json'
  [ -n "$fence" ] && set -- "$@" -H "Agentmesh-Fence: ${fence}"
  response=$(curl -s -m 60 -w '\n%{http_code}' "$@" -X POST "${api}/llm/openai/v1/chat/completions" -d "$body")
  status=$?
  if [ "$status" -ne 0 ]; then
    printf '%s\n' "LLM call failed: no answer from the node (curl exit ${status})"
    return
  fi
  code=$(printf '%s' "$response" | tail -n 1)
  answer=$(printf '%s' "$response" | sed '$d')
  if [ "$code" = 200 ]; then
    printf '%s\n' "LLM ${llm_model} said: $(printf '%s' "$answer" | json_field content)"
  else
    printf '%s\n' "LLM call failed: HTTP ${code}: $(printf '%s' "$answer" | json_field message)"
  fi
}

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
    # The fence header makes a deposed instance's late request fail (409) instead of acting; majority durability
    # means the request is carried into the next run if this node dies before it is performed (docs/agents.md).
    curl -s -o /dev/null -w "counter-agent: beat ${count}: stamp requested, HTTP %{http_code}\n" \
      -H "Agentmesh-Fence: ${fence}" -H 'Content-Type: application/json' \
      -X POST "${api}/v1/intents?durability=majority" \
      -d "{\"kind\":\"exec\",\"payload\":{\"command\":\"stamp\",\"args\":{\"beat\":${count}}}}" || true
  fi
  if [ "$llm_every" -gt 0 ] && [ $((count % llm_every)) -eq 0 ]; then
    line=$(ask_llm "$count")
    printf -- '- %s beat %s on %s: %s\n' "$(date -u +%H:%M:%S)" "$count" "$node" "$line" >> "memory/$(date -u +%F).md"
    printf '%s\n' "counter-agent: beat ${count}: ${line}"
  fi
  sleep "$beat_seconds" &
  wait $!
done
