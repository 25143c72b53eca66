package io.agentmesh.state;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Why AgentState logs patches only for changes that do nothing but splice texts: automerge-java 0.0.7 aborts the
 * JVM (a Rust panic in {@code makePatches}) when a patch log holds a conflict on a map key, which two nodes
 * deleting one file at once make. Through AgentState the same exchange is applied without a patch log.
 */
class PatchConflictAbortTest {

    @Test
    void makePatchesAbortsTheJvmOnAConflictFlag() throws Exception {
        ChildJvm.Result r = ChildJvm.run(PatchConflictProbeMain.class, 120, "raw");
        assertNotEquals(0, r.exit(), "the child died: " + r.stdout() + r.stderr());
        assertTrue(r.stderr().contains("panicked"), r.stderr());
    }

    @Test
    void twoNodesDeletingACachedFileAtOnceNeverReachMakePatches() throws Exception {
        ChildJvm.Result r = ChildJvm.run(PatchConflictProbeMain.class, 120, "guarded");
        assertEquals(0, r.exit(), r.stdout() + r.stderr());
        assertEquals("guarded: false", r.stdout().strip(), r.stderr());
    }
}
