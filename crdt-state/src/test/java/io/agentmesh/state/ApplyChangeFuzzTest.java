package io.agentmesh.state;

import org.junit.jupiter.api.Test;

import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Thousands of mutated changes through applyChange, in a child JVM so that a crash inside Automerge fails this test
 * instead of killing the build: the process must survive, every mutation must be applied or refused with a
 * StateException, and a refused one must leave the document byte-for-byte unchanged.
 *
 * <p>Not asserted, printed: how many applied mutations leave a document whose save() no longer loads. Those are
 * changes that are well-formed and canonical but semantically inconsistent in ways only Automerge's op set can see
 * (e.g. a pred that names an op on another key); see AgentState#checkLoadable for what a node does about it.
 */
class ApplyChangeFuzzTest {

    @Test
    void mutatedChangesAreAppliedOrRefusedAndNeverCrashTheProcess() throws Exception {
        ChildJvm.Result r = ChildJvm.run(ApplyFuzzMain.class, 600, "20251123", "2500");
        assertEquals(0, r.exit(), "the child died: " + r.stderr());
        System.out.println("[ApplyChangeFuzzTest] " + r.stdout().strip());
        Matcher m = Pattern.compile("applied=(\\d+) rejected=(\\d+) unexpected=(\\d+) changedAfterReject=(\\d+)")
                .matcher(r.stdout());
        assertTrue(m.find(), r.stdout());
        assertEquals(2500, Integer.parseInt(m.group(1)) + Integer.parseInt(m.group(2)));
        assertEquals(0, Integer.parseInt(m.group(3)), "exceptions other than StateException: " + r.stderr());
        assertEquals(0, Integer.parseInt(m.group(4)), "refused changes that changed the document");
    }
}
