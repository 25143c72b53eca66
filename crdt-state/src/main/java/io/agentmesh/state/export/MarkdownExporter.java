package io.agentmesh.state.export;

import io.agentmesh.state.Intent;
import io.agentmesh.state.Malformed;
import io.agentmesh.state.MemoryEntry;
import io.agentmesh.state.Outcome;
import io.agentmesh.state.Schedule;
import io.agentmesh.state.StateView;
import io.agentmesh.state.Task;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Writes the file-first view of the state for people: {@code MEMORY.md} (summary and long-term notes),
 * {@code memory/YYYY-MM-DD.md} (memory entries by UTC day, oldest first) and {@code HEARTBEAT.md} (tasks,
 * schedules, pending intents, latest outcomes).
 *
 * <p>The output is a pure function of the {@link StateView}: no export time, stable ordering everywhere (ties broken
 * by id, then by list order), UTC times, '\n' line ends. Exporting the same state twice gives identical bytes, so the
 * directory can live in git and diffs show what the agent changed. Each file is replaced atomically. The directory
 * belongs to the exporter: day files of days that no longer hold entries are removed.
 */
public final class MarkdownExporter {
    /** How many outcomes HEARTBEAT.md lists. */
    public static final int LATEST_OUTCOMES = 20;
    /** Longest table cell (payloads, results) before it is cut with an ellipsis. */
    public static final int MAX_CELL_CHARS = 160;

    private static final DateTimeFormatter TIME = DateTimeFormatter.ofPattern("HH:mm:ss.SSS").withZone(ZoneOffset.UTC);
    private static final DateTimeFormatter DATE_TIME =
            DateTimeFormatter.ofPattern("yyyy-MM-dd HH:mm:ss").withZone(ZoneOffset.UTC);
    private static final Pattern DAY_FILE = Pattern.compile("\\d{4}-\\d{2}-\\d{2}\\.md");

    private MarkdownExporter() {
    }

    /** Writes the files into {@code dir} (created if needed) and returns the paths written, sorted. */
    public static List<Path> export(StateView view, Path dir) throws IOException {
        Files.createDirectories(dir);
        Path memoryDir = dir.resolve("memory");
        Files.createDirectories(memoryDir);

        Map<LocalDate, List<MemoryEntry>> byDay = byDay(view.memory());
        List<Path> written = new ArrayList<>();
        written.add(write(dir.resolve("MEMORY.md"), memoryMd(view, byDay)));
        written.add(write(dir.resolve("HEARTBEAT.md"), heartbeatMd(view)));
        Set<String> dayFiles = new HashSet<>();
        for (Map.Entry<LocalDate, List<MemoryEntry>> day : byDay.entrySet()) {
            String name = day.getKey() + ".md";
            dayFiles.add(name);
            written.add(write(memoryDir.resolve(name), dayMd(day.getKey(), day.getValue())));
        }
        try (DirectoryStream<Path> old = Files.newDirectoryStream(memoryDir)) {
            for (Path p : old) {
                String name = p.getFileName().toString();
                if (DAY_FILE.matcher(name).matches() && !dayFiles.contains(name)) {
                    Files.delete(p);
                }
            }
        }
        written.sort(Comparator.naturalOrder());
        return List.copyOf(written);
    }

    /** Entries by UTC day; within a day by time, then id, then list order (the sort is stable). */
    /**
     * The agent id as the CLI and the status show it ({@code agent1...}), not the hex of its bytes; the hex only for a
     * document whose genesis holds no well-formed id, so an export of an odd state still works.
     */
    static String agentId(StateView view) {
        byte[] bytes = java.util.HexFormat.of().parseHex(view.agentIdHex());
        return bytes.length == io.agentmesh.protocol.identity.AgentId.LENGTH
                ? new io.agentmesh.protocol.identity.AgentId(bytes).toString() : view.agentIdHex();
    }

    static Map<LocalDate, List<MemoryEntry>> byDay(List<MemoryEntry> memory) {
        Map<LocalDate, List<MemoryEntry>> days = new TreeMap<>();
        for (MemoryEntry e : memory) {
            LocalDate day = Instant.ofEpochMilli(e.timeMillis()).atZone(ZoneOffset.UTC).toLocalDate();
            days.computeIfAbsent(day, d -> new ArrayList<>()).add(e);
        }
        for (List<MemoryEntry> entries : days.values()) {
            entries.sort(Comparator.comparingLong(MemoryEntry::timeMillis).thenComparing(MemoryEntry::id));
        }
        return days;
    }

    static String memoryMd(StateView view, Map<LocalDate, List<MemoryEntry>> byDay) {
        StringBuilder b = new StringBuilder();
        b.append("# Memory\n\n");
        b.append("Agent `").append(agentId(view)).append("`. Written by agentmesh from the replicated state; ")
                .append("changes made here are not read back.\n\n");
        b.append("## Summary\n\n");
        b.append("- Memory entries: ").append(view.memory().size());
        if (!byDay.isEmpty()) {
            LocalDate first = byDay.keySet().iterator().next();
            LocalDate last = ((TreeMap<LocalDate, List<MemoryEntry>>) byDay).lastKey();
            b.append(", ").append(first).append(" to ").append(last).append(" (UTC), one file per day in ")
                    .append("[memory/](memory/)");
        }
        b.append('\n');
        Map<Task.Status, Integer> counts = new TreeMap<>();
        for (Task t : view.tasks()) {
            counts.merge(t.status(), 1, Integer::sum);
        }
        b.append("- Tasks: ").append(view.tasks().size());
        if (!view.tasks().isEmpty()) {
            List<String> parts = new ArrayList<>();
            for (Task.Status s : Task.Status.values()) {
                parts.add(counts.getOrDefault(s, 0) + " " + statusName(s));
            }
            b.append(" (").append(String.join(", ", parts)).append(')');
        }
        b.append('\n');
        b.append("- Schedules: ").append(view.schedules().size()).append('\n');
        b.append("- Intents: ").append(view.intents().size()).append(" (").append(pending(view).size())
                .append(" pending), outcomes: ").append(view.outcomes().size()).append('\n');
        b.append("- Costs: ");
        if (view.costs().isEmpty()) {
            b.append("none");
        } else {
            List<String> parts = new ArrayList<>();
            view.costs().forEach((name, total) -> parts.add(name + " " + total));
            b.append(String.join(", ", parts));
        }
        b.append('\n');
        if (!view.malformed().isEmpty()) {
            b.append("- Values skipped because they had the wrong shape: ").append(view.malformed().size()).append('\n');
            for (Malformed m : view.malformed()) {
                b.append("  - `").append(m.path()).append("`: ").append(m.reason()).append('\n');
            }
        }
        b.append("\n## Long-term notes\n\n");
        if (view.notes().isBlank()) {
            b.append("_(none yet)_\n");
        } else {
            b.append(view.notes().replace("\r\n", "\n"));
            if (!view.notes().endsWith("\n")) {
                b.append('\n');
            }
        }
        return b.toString();
    }

    static String dayMd(LocalDate day, List<MemoryEntry> entries) {
        StringBuilder b = new StringBuilder();
        b.append("# Memory, ").append(day).append(" (UTC)\n\n");
        b.append(entries.size()).append(entries.size() == 1 ? " entry" : " entries").append(", oldest first.\n");
        for (MemoryEntry e : entries) {
            b.append("\n## ").append(TIME.format(Instant.ofEpochMilli(e.timeMillis()))).append(" · ")
                    .append(oneLine(e.kind())).append(" · ").append(oneLine(e.author())).append("\n\n");
            b.append("id `").append(oneLine(e.id())).append('`');
            if (!e.tags().isEmpty()) {
                b.append(" · tags: ");
                List<String> tags = new ArrayList<>();
                for (String t : e.tags()) {
                    tags.add("`" + oneLine(t) + "`");
                }
                b.append(String.join(", ", tags));
            }
            b.append("\n\n");
            String text = e.text().replace("\r\n", "\n");
            b.append(text.isBlank() ? "_(empty)_" : text);
            if (!text.endsWith("\n")) {
                b.append('\n');
            }
        }
        return b.toString();
    }

    static String heartbeatMd(StateView view) {
        StringBuilder b = new StringBuilder();
        b.append("# Heartbeat\n\n");
        b.append("Agent `").append(agentId(view)).append("`: what it is working on and what runs when.\n\n");

        b.append("## Tasks\n");
        if (view.tasks().isEmpty()) {
            b.append("\n_(none)_\n");
        }
        Task.Status[] order = {Task.Status.DOING, Task.Status.TODO, Task.Status.DONE, Task.Status.CANCELLED};
        for (Task.Status status : order) {
            List<Task> tasks = view.tasks().stream().filter(t -> t.status() == status)
                    .sorted(Comparator.comparingLong(Task::updatedMillis).reversed().thenComparing(Task::id))
                    .toList();
            if (tasks.isEmpty()) {
                continue;
            }
            b.append("\n### ").append(capitalized(statusName(status))).append("\n\n");
            for (Task t : tasks) {
                b.append("- [").append(status == Task.Status.DONE ? 'x' : ' ').append("] ")
                        .append(oneLine(t.title())).append(" (`").append(oneLine(t.id())).append("`, updated ")
                        .append(dateTime(t.updatedMillis())).append(")\n");
                if (t.detail() != null && !t.detail().isBlank()) {
                    for (String line : t.detail().replace("\r\n", "\n").split("\n", -1)) {
                        b.append(line.isEmpty() ? "" : "  ").append(line).append('\n');
                    }
                }
            }
        }

        b.append("\n## Schedules\n\n");
        if (view.schedules().isEmpty()) {
            b.append("_(none)_\n");
        } else {
            b.append("| id | cron | zone | intent kind | catch-up | payload | created |\n");
            b.append("|---|---|---|---|---|---|---|\n");
            for (Schedule s : view.schedules()) {
                row(b, s.id(), s.cron(), s.zone(), s.intentKind(), s.catchUp(), s.payloadJson(),
                        dateTime(s.createdMillis()));
            }
        }

        b.append("\n## Pending intents\n\n");
        List<Intent> pending = pending(view);
        if (pending.isEmpty()) {
            b.append("_(none)_\n");
        } else {
            b.append("| id | kind | requested by | requested | payload |\n");
            b.append("|---|---|---|---|---|\n");
            for (Intent i : pending) {
                row(b, i.id(), i.kind(), i.requestedBy(), dateTime(i.requestedMillis()), i.payloadJson());
            }
        }

        b.append("\n## Latest outcomes\n\n");
        if (view.outcomes().isEmpty()) {
            b.append("_(none)_\n");
        } else {
            List<Outcome> latest = view.outcomes().stream()
                    .sorted(Comparator.comparingLong(Outcome::completedMillis).reversed()
                            .thenComparing(Outcome::intentId))
                    .limit(LATEST_OUTCOMES).toList();
            if (view.outcomes().size() > latest.size()) {
                b.append("The ").append(latest.size()).append(" most recent of ").append(view.outcomes().size())
                        .append(".\n\n");
            }
            b.append("| intent | status | completed | by | term/index | result |\n");
            b.append("|---|---|---|---|---|---|\n");
            for (Outcome o : latest) {
                row(b, o.intentId(), o.status(), dateTime(o.completedMillis()), o.performedBy(),
                        o.term() + "/" + o.index(), o.result());
            }
        }
        return b.toString();
    }

    private static List<Intent> pending(StateView view) {
        Set<String> done = new HashSet<>();
        for (Outcome o : view.outcomes()) {
            done.add(o.intentId());
        }
        return view.intents().stream().filter(i -> !done.contains(i.id()))
                .sorted(Comparator.comparingLong(Intent::requestedMillis).thenComparing(Intent::id)).toList();
    }

    private static void row(StringBuilder b, String... cells) {
        b.append('|');
        for (String c : cells) {
            b.append(' ').append(cell(c)).append(" |");
        }
        b.append('\n');
    }

    /** One table cell: single line, pipes escaped, cut to {@link #MAX_CELL_CHARS}. */
    static String cell(String s) {
        String one = oneLine(s);
        if (one.length() > MAX_CELL_CHARS) {
            int cut = MAX_CELL_CHARS - 1;
            if (Character.isHighSurrogate(one.charAt(cut - 1))) {
                cut--;
            }
            one = one.substring(0, cut) + "…";
        }
        return one.replace("\\", "\\\\").replace("|", "\\|");
    }

    private static String oneLine(String s) {
        return s.replace("\r\n", " ").replace('\n', ' ').replace('\r', ' ');
    }

    private static String statusName(Task.Status s) {
        return switch (s) {
            case TODO -> "to do";
            case DOING -> "doing";
            case DONE -> "done";
            case CANCELLED -> "cancelled";
        };
    }

    private static String capitalized(String s) {
        return Character.toUpperCase(s.charAt(0)) + s.substring(1);
    }

    private static String dateTime(long millis) {
        return DATE_TIME.format(Instant.ofEpochMilli(millis)) + " UTC";
    }

    private static Path write(Path file, String content) throws IOException {
        Path tmp = Files.createTempFile(file.getParent(), "." + file.getFileName(), ".tmp");
        try {
            Files.writeString(tmp, content, StandardCharsets.UTF_8);
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
        return file;
    }
}
