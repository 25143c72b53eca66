package io.agentmesh.state;

import io.agentmesh.state.export.AutomergeFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.condition.EnabledIfSystemProperty;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;
import static io.agentmesh.state.Fixtures.T0;

/**
 * Figures, printed, never asserted (speed goals live in benchmarks, not in timed tests). Run with
 * {@code ./mvnw -q -pl crdt-state verify -Dtest=StateBench -Dagentmesh.bench=true [-Dagentmesh.bench.entries=100000]}.
 */
@EnabledIfSystemProperty(named = "agentmesh.bench", matches = "true")
class StateBench {

    private static MemoryEntry entry(int i) {
        return new MemoryEntry("m-" + i, T0 + i * 1000L, "node-1", "observation",
                "entry number " + i + " with some text about the world", List.of("tag1", "tag2"));
    }

    @Test
    void printFigures() {
        int n = Integer.getInteger("agentmesh.bench.entries", 100_000);
        try (AgentState state = AgentState.create(AGENT, A)) {
            // warm up
            for (int i = 0; i < 2_000; i++) {
                state.appendMemory(entry(-1 - i));
            }
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                state.appendMemory(entry(i));
            }
            double secs = (System.nanoTime() - t0) / 1e9;
            print("appendMemory, one commit each: %d commits in %.2f s = %.0f commits/s", n, secs, n / secs);

            t0 = System.nanoTime();
            byte[] saved = state.save();
            print("save(): %.0f ms, %d bytes for %d changes", ms(t0), saved.length, n + 2_001);

            long[] loads = new long[5];
            for (int r = 0; r < loads.length; r++) {
                t0 = System.nanoTime();
                try (AgentState loaded = AgentState.load(AGENT, saved, B)) {
                    loads[r] = System.nanoTime() - t0;
                    if (r == 0) {
                        t0 = System.nanoTime();
                        try (AgentState other = AgentState.create(AGENT, Fixtures.C)) {
                            byte[] c = other.appendMemory(entry(-999_999)).changeBytes();
                            loaded.applyChange(c);
                        }
                        print("first applyChange after load (indexes all %d changes once): %.0f ms", n + 2_002,
                                ms(t0));
                        t0 = System.nanoTime();
                        long count = loaded.memoryCount();
                        List<MemoryEntry> page = loaded.memory(count - 50, 50);
                        print("memoryCount() + last 50 entries: %.1f ms (%d)", ms(t0), page.size());
                        t0 = System.nanoTime();
                        int all = loaded.memory().size();
                        print("memory(), all %d entries: %.0f ms", all, ms(t0));
                    }
                }
            }
            Arrays.sort(loads);
            print("AgentState.load of %d changes: median %.0f ms, min %.0f ms, max %.0f ms (5 runs)", n + 2_001,
                    loads[2] / 1e6, loads[0] / 1e6, loads[4] / 1e6);
            t0 = System.nanoTime();
            AutomergeFile.validate(saved, AGENT);
            print("AutomergeFile.validate (child JVM + load here): %.0f ms", ms(t0));

            List<byte[]> changes = new ArrayList<>();
            try (AgentState writer = AgentState.create(AGENT, Fixtures.C)) {
                for (int i = 0; i < 20_000; i++) {
                    changes.add(writer.appendMemory(entry(i)).changeBytes());
                }
            }
            for (int round = 1; round <= 3; round++) {
                try (AgentState reader = AgentState.create(AGENT, B)) {
                    t0 = System.nanoTime();
                    for (byte[] c : changes) {
                        reader.applyChange(c);
                    }
                    double s = (System.nanoTime() - t0) / 1e9;
                    print("applyChange (checks + Automerge), round %d: %d changes in %.2f s = %.0f changes/s", round,
                            changes.size(), s, changes.size() / s);
                }
            }
        }
    }

    private static double ms(long t0) {
        return (System.nanoTime() - t0) / 1e6;
    }

    private static void print(String format, Object... args) {
        System.out.println("[StateBench] " + String.format(format, args));
    }
}
