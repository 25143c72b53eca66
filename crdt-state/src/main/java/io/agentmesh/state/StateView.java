package io.agentmesh.state;

import java.util.List;
import java.util.Map;

/**
 * An immutable snapshot of the whole state as plain records and lists, ready for Jackson (records, lists, a
 * sorted map, no Optional) and for the Markdown exporter.
 *
 * @param agentIdHex  the agent id, hex
 * @param memory      memory entries in list order (concurrent appends are ordered by Automerge deterministically)
 * @param notes       the long-term notes text
 * @param tasks       sorted by id
 * @param schedules   sorted by id
 * @param intents     sorted by id
 * @param outcomes    sorted by intent id
 * @param costs       counter name to total over all nodes, sorted by name
 * @param malformed   values the reads skipped because they had the wrong shape
 */
public record StateView(String agentIdHex, List<MemoryEntry> memory, String notes, List<Task> tasks,
                        List<Schedule> schedules, List<Intent> intents, List<Outcome> outcomes,
                        Map<String, Long> costs, List<Malformed> malformed) {
    public StateView {
        memory = List.copyOf(memory);
        tasks = List.copyOf(tasks);
        schedules = List.copyOf(schedules);
        intents = List.copyOf(intents);
        outcomes = List.copyOf(outcomes);
        costs = java.util.Collections.unmodifiableMap(new java.util.TreeMap<>(costs));
        malformed = List.copyOf(malformed);
    }
}
