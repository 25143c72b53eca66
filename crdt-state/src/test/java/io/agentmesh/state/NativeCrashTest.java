package io.agentmesh.state;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Why AgentState checks every change in Java first: these checksum-valid changes abort the whole JVM when handed
 * to Automerge 0.5.7 directly (a Rust panic cannot unwind through JNI: "failed to initiate panic", SIGABRT), and
 * are refused cleanly through {@link AgentState#applyChange}. Both run in child JVMs, so the build survives either
 * way; if the raw case ever stops crashing, the library got fixed and this test says so.
 */
class NativeCrashTest {

    @ParameterizedTest
    @ValueSource(strings = {"actor-index", "key-kind"})
    void rawAutomergeAbortsTheJvmOnTheCraftedChange(String scenario) throws Exception {
        ChildJvm.Result r = ChildJvm.run(NativeProbeMain.class, 120, scenario, "raw");
        assertNotEquals(0, r.exit(), "expected the raw apply to abort the JVM; stdout: " + r.stdout());
        assertTrue(r.stderr().contains("panicked at"), r.stderr());
    }

    @ParameterizedTest
    @ValueSource(strings = {"actor-index", "key-kind"})
    void agentStateRefusesTheCraftedChangeAndTheJvmLivesOn(String scenario) throws Exception {
        ChildJvm.Result r = ChildJvm.run(NativeProbeMain.class, 120, scenario, "guarded");
        assertEquals(0, r.exit(), r.stderr());
        assertTrue(r.stdout().startsWith("guarded: refused"), r.stdout());
    }
}
