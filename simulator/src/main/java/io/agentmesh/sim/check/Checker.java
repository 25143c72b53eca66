package io.agentmesh.sim.check;

/**
 * A property of a run, decided from its {@link History} alone. Checkers must be deterministic and must not change the
 * history.
 *
 * <p>The simulator and the live harness fill History with one vocabulary (History's own records and
 * {@link ConsensusRecords}), so one checker decides a property the same way in both modes. Not every mode can record
 * everything: the live harness sees no change's bytes, so it leaves {@link NoSeqReuseChecker} out of its list by name
 * (see {@code LiveRun.LEFT_OUT}); and the live-only {@code LeaderLivenessChecker} reads the harness's own status
 * samples and topology, which have no simulated twin.
 *
 * <p>A checker extends {@link NamedChecker}, which holds its name and puts it on every verdict it returns.
 */
public interface Checker {
    /** Short stable name, used in reports and JSON (e.g. "convergence"). */
    String name();

    Verdict check(History history);
}
