package io.agentmesh.sim.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The file that every agent instance of {@code bench agent} appends to, outside the mesh, with one clock (the
 * machine's, through {@code date +%s%3N}): lines {@code start|beat|stop <node id> <epoch ms> <fence>}. An instance is
 * one run of the agent, named by its node and fence (every start gets its own fence, docs/agents.md). Reading it
 * needs no process, so the overlap rule is tested on its own.
 */
final class AgentEvents {
    /** The agent every node runs: a start line, a beat every 50 ms, a stop line on SIGTERM. {@code $1}: the file. */
    static final String AGENT_SCRIPT = String.join("\n",
            "events=\"$1\"",
            "n=\"$AGENTMESH_NODE_ID\"; f=\"$AGENTMESH_FENCE\"",
            "echo \"start $n $(date +%s%3N) $f\" >> \"$events\"",
            "trap 'echo \"stop $n $(date +%s%3N) $f\" >> \"$events\"; exit 0' TERM",
            "while :; do echo \"beat $n $(date +%s%3N) $f\" >> \"$events\"; sleep 0.05; done",
            "");

    private AgentEvents() {
    }

    /**
     * One instance as its lines show it.
     *
     * @param firstBeatMs its first beat, -1 before it wrote one
     * @param lastBeatMs  its last beat, -1 before it wrote one
     * @param lastMs      its last line of any kind
     * @param stopMs      its stop line (it got SIGTERM), -1 without one
     */
    record Instance(String node, String fence, long startMs, long firstBeatMs, long lastBeatMs, long lastMs,
                    long stopMs) {
        String key() {
            return node + " " + fence;
        }

        private Instance with(String kind, long ms) {
            return switch (kind) {
                case "beat" -> new Instance(node, fence, startMs, firstBeatMs < 0 ? ms : Math.min(firstBeatMs, ms),
                        Math.max(lastBeatMs, ms), Math.max(lastMs, ms), stopMs);
                case "stop" -> new Instance(node, fence, startMs, firstBeatMs, lastBeatMs, Math.max(lastMs, ms), ms);
                default -> throw new IllegalArgumentException("instance " + key() + " started twice");
            };
        }
    }

    /**
     * Two instances alive at once: {@code earlier} wrote a line {@code overlapMs} after {@code later} started.
     */
    record Overlap(Instance earlier, Instance later, long overlapMs) {
        Map<String, Object> toJson() {
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("earlier", earlier.key());
            m.put("earlierLastLineMs", earlier.lastMs());
            m.put("later", later.key());
            m.put("laterStartMs", later.startMs());
            m.put("overlapMs", overlapMs);
            return m;
        }
    }

    /** The instances in {@code text}, in start order; a last line without its newline is still being written. */
    static List<Instance> parse(String text) {
        Map<String, Instance> byKey = new LinkedHashMap<>();
        int end = text.lastIndexOf('\n');
        if (end < 0) {
            return List.of();
        }
        for (String line : text.substring(0, end).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            String[] p = line.trim().split(" ");
            if (p.length != 4 || !(p[0].equals("start") || p[0].equals("beat") || p[0].equals("stop"))) {
                throw new IllegalArgumentException("malformed agent line '" + line + "'");
            }
            long ms;
            try {
                ms = Long.parseLong(p[2]);
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("malformed time in agent line '" + line + "'");
            }
            String key = p[1] + " " + p[3];
            Instance i = byKey.get(key);
            if (i == null) {
                if (!p[0].equals("start")) {
                    throw new IllegalArgumentException("instance " + key + " wrote '" + line + "' before its start");
                }
                byKey.put(key, new Instance(p[1], p[3], ms, -1, -1, ms, -1));
            } else {
                byKey.put(key, i.with(p[0], ms));
            }
        }
        List<Instance> out = new ArrayList<>(byKey.values());
        out.sort(Comparator.comparingLong(Instance::startMs));
        return out;
    }

    /** The instances in {@code file}; none while it does not exist. */
    static List<Instance> read(Path file) throws IOException {
        try {
            return parse(Files.readString(file, StandardCharsets.UTF_8));
        } catch (NoSuchFileException e) {
            return List.of();
        }
    }

    /**
     * Every instance that started while an earlier one was still writing: the earlier one's last line (beat or
     * stop) came after the later one's start line. Compared with the latest line of every earlier instance, so an
     * instance that outlives several successors is found against each of them.
     */
    static List<Overlap> overlaps(List<Instance> inStartOrder) {
        List<Overlap> out = new ArrayList<>();
        Instance longest = null;
        for (Instance next : inStartOrder) {
            if (longest != null && longest.lastMs() > next.startMs()) {
                out.add(new Overlap(longest, next, longest.lastMs() - next.startMs()));
            }
            if (longest == null || next.lastMs() > longest.lastMs()) {
                longest = next;
            }
        }
        return out;
    }
}
