package io.agentmesh.sim.bench;

import io.agentmesh.sim.live.LiveCluster;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The node log lines of one slow round, kept in the benchmark's JSON so a round without a leader can be read after
 * the cluster's directory is gone. Each node's log is marked (its length) before the fault; afterwards the lines
 * written since are read back, without the dial retries that make most of a log while a peer is down.
 */
final class NodeLogs {
    private final Map<LiveCluster.Node, Long> marks = new LinkedHashMap<>();

    private NodeLogs() {
    }

    /** Marks where each node's log ends now. */
    static NodeLogs mark(List<LiveCluster.Node> nodes) {
        NodeLogs l = new NodeLogs();
        for (LiveCluster.Node n : nodes) {
            l.marks.put(n, length(n.log()));
        }
        return l;
    }

    private static long length(Path log) {
        try {
            return Files.exists(log) ? Files.size(log) : 0;
        } catch (IOException e) {
            return 0;
        }
    }

    /** Per node name, up to {@code maxLines} relevant lines written since the mark. */
    Map<String, List<String>> since(int maxLines) {
        Map<String, List<String>> out = new LinkedHashMap<>();
        marks.forEach((n, from) -> out.put(n.name(), relevant(read(n.log(), from), maxLines)));
        return out;
    }

    private static List<String> read(Path log, long from) {
        try (RandomAccessFile f = new RandomAccessFile(log.toFile(), "r")) {
            long len = f.length();
            if (len <= from) {
                return List.of();
            }
            byte[] bytes = new byte[(int) Math.min(len - from, 4 << 20)];
            f.seek(from);
            f.readFully(bytes);
            return new String(bytes, StandardCharsets.UTF_8).lines().toList();
        } catch (IOException e) {
            return List.of("(log unreadable: " + e.getMessage() + ")");
        }
    }

    /** Drops dial retries and stack-trace continuation lines; keeps the first {@code maxLines} of the rest. */
    static List<String> relevant(List<String> lines, int maxLines) {
        List<String> out = new ArrayList<>();
        for (String line : lines) {
            String l = line.toLowerCase(Locale.ROOT);
            if (line.isBlank() || Character.isWhitespace(line.charAt(0)) || l.contains(" dial ")
                    || l.contains("dialing -") || l.contains("will redial")) {
                continue;
            }
            if (out.size() == maxLines) {
                out.add("(more lines in the node's log)");
                break;
            }
            out.add(line);
        }
        return out;
    }
}
