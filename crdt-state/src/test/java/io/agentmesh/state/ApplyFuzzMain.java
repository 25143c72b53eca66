package io.agentmesh.state;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;

import static io.agentmesh.state.Fixtures.A;
import static io.agentmesh.state.Fixtures.AGENT;
import static io.agentmesh.state.Fixtures.B;
import static io.agentmesh.state.Fixtures.C;
import static io.agentmesh.state.Fixtures.T0;
import static io.agentmesh.state.Fixtures.fixChecksum;

/**
 * Child-process side of {@code ApplyChangeFuzzTest}: mutates real changes (most with the checksum recomputed, so
 * they get past it) and applies them through AgentState.applyChange. Prints one summary line. A crash inside
 * Automerge ends the process with a non-zero exit code instead.
 */
public final class ApplyFuzzMain {
    private static final String FILE = "MEMORY.md";

    public static void main(String[] args) {
        long seed = Long.parseLong(args[0]);
        int iterations = Integer.parseInt(args[1]);
        List<byte[]> changes = new ArrayList<>();
        try (AgentState a = AgentState.create(AGENT, A); AgentState b = AgentState.create(AGENT, B)) {
            changes.add(a.appendMemory(new MemoryEntry("m1", T0, "n1", "obs", "hello", List.of("a", "b")))
                    .changeBytes());
            changes.add(a.replaceNotes("hello notes").orElseThrow().changeBytes());
            changes.add(a.upsertTask(new Task("t1", "title", Task.Status.TODO, T0, "d")).changeBytes());
            changes.add(a.incrementCost("tokens", 5).changeBytes());
            for (byte[] c : changes) {
                b.applyChange(c);
            }
            changes.add(b.appendMemory(new MemoryEntry("m2", T0 + 1, "n2", "obs", "world", List.of()))
                    .changeBytes());
            changes.add(b.editNotes(0, 5, "HELLO").orElseThrow().changeBytes());
            changes.add(b.upsertTask(new Task("t1", "title2", Task.Status.DONE, T0 + 2, null)).changeBytes());
            changes.add(b.incrementCost("tokens", 7).changeBytes());
            changes.add(b.requestIntent(new Intent("i1", "llm", "{}", "n2", T0 + 3)).changeBytes());
            changes.add(b.recordOutcome(new Outcome("i1", "succeeded", "r", "n2", 1, 2, T0 + 4)).changeBytes());
            changes.add(b.addSchedule(new Schedule("s1", "0 * * * *", "UTC", "llm", "{}", "skip", T0)).changeBytes());
            changes.add(b.removeSchedule("s1").changeBytes());
            // Workspace splices: a receiver that caches the file patches it from Automerge's patch log.
            changes.add(b.writeWorkspaceFile(FILE, "one\ntwo \ud83d\ude00\n").orElseThrow().changeBytes());
            changes.add(b.writeWorkspaceFile(FILE, "one\nthree\ntwo \ud83d\ude00\n").orElseThrow().changeBytes());
            changes.add(b.writeWorkspaceFile(FILE, "three\ntwo \ud83d\ude00\nfour\n").orElseThrow().changeBytes());
        }
        Random rnd = new Random(seed);
        int applied = 0;
        int rejected = 0;
        int unexpected = 0;
        int changedAfterReject = 0;
        int unloadable = 0;
        for (int it = 0; it < iterations; it++) {
            int which = rnd.nextInt(changes.size());
            byte[] m = changes.get(which).clone();
            boolean tail = rnd.nextBoolean(); // favour the op columns, at the end of a change
            int flips = 1 + rnd.nextInt(tail ? 2 : 4);
            for (int k = 0; k < flips; k++) {
                int base = tail ? m.length * 3 / 5 : 8;
                int pos = base + rnd.nextInt(m.length - base);
                switch (rnd.nextInt(4)) {
                    case 0 -> m[pos] = (byte) rnd.nextInt(256);
                    case 1 -> m[pos] ^= (byte) (1 << rnd.nextInt(8));
                    case 2 -> m[pos] = (byte) (rnd.nextBoolean() ? 0 : 0x7f);
                    default -> m[pos] = (byte) (m[pos] + (rnd.nextBoolean() ? 1 : -1));
                }
            }
            if (rnd.nextInt(10) != 0) {
                m = fixChecksum(m);
            }
            try (AgentState s = AgentState.create(AGENT, C)) {
                s.verifyTextCache(true); // a cached text that differs from Automerge's throws an AssertionError
                for (int j = 0; j < which; j++) {
                    s.applyChange(changes.get(j));
                }
                s.workspaceFile(FILE); // cached from here on, if present
                byte[] before = s.save();
                try {
                    s.applyChange(m);
                    applied++;
                    s.view();
                    s.workspaceFile(FILE);
                    try (AgentState reloaded = AgentState.load(AGENT, s.save(), C)) {
                        reloaded.view();
                    } catch (StateException e) {
                        unloadable++;
                    }
                } catch (StateException e) {
                    rejected++;
                    if (!Arrays.equals(before, s.save())) {
                        changedAfterReject++;
                    }
                }
            } catch (RuntimeException e) {
                unexpected++;
                System.err.println("unexpected at iteration " + it + ": " + e);
            }
        }
        System.out.println("applied=" + applied + " rejected=" + rejected + " unexpected=" + unexpected
                + " changedAfterReject=" + changedAfterReject + " unloadableAfterApply=" + unloadable);
    }
}
