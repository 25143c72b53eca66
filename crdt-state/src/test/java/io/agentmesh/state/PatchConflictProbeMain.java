package io.agentmesh.state;

import org.automerge.ChangeHash;
import org.automerge.Document;
import org.automerge.ObjectId;
import org.automerge.PatchLog;
import org.automerge.Transaction;

/**
 * Child-process side of {@code PatchConflictAbortTest}: two documents put the same key at once, one applies the
 * other's change, either raw (with a patch log, then {@code makePatches}) or guarded (two AgentStates deleting a
 * cached workspace file at once), and prints what happened, if the process survives.
 */
public final class PatchConflictProbeMain {
    public static void main(String[] args) {
        if (args[0].equals("raw")) {
            Document a = new Document(Fixtures.A.bytes());
            Transaction setup = a.startTransaction();
            setup.set(ObjectId.ROOT, "gone", false);
            setup.commit();
            Document b = a.fork(Fixtures.B.bytes());
            ChangeHash[] before = a.getHeads();
            Transaction ta = a.startTransaction();
            ta.set(ObjectId.ROOT, "gone", true);
            ta.commit();
            Transaction tb = b.startTransaction();
            tb.set(ObjectId.ROOT, "gone", true);
            tb.commit();
            PatchLog log = new PatchLog();
            b.applyEncodedChanges(a.encodeChangesSince(before), log);
            System.out.println("raw: " + b.makePatches(log).size() + " patches");
        } else {
            try (AgentState a = AgentState.create(Fixtures.AGENT, Fixtures.A);
                 AgentState b = AgentState.create(Fixtures.AGENT, Fixtures.B)) {
                b.applyChange(a.writeWorkspaceFile("MEMORY.md", "one\n").orElseThrow().changeBytes());
                b.workspaceFile("MEMORY.md");
                byte[] fromA = a.deleteWorkspaceFile("MEMORY.md").orElseThrow().changeBytes();
                b.deleteWorkspaceFile("MEMORY.md").orElseThrow();
                b.applyChange(fromA);
                System.out.println("guarded: " + b.workspaceFile("MEMORY.md").isPresent());
            }
        }
    }
}
