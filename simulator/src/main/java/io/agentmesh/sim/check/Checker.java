package io.agentmesh.sim.check;

/**
 * A property of a run, decided from its {@link History} alone: the simulator and the live harness record the same
 * history, so every checker works for both. Checkers must be deterministic and must not change the history.
 *
 * <p>Later properties (at most one leader per term, each intent performed at most once) are further implementations:
 * they read their own records through {@link History#records(Class)}, which the recorder fills without History
 * having to know their types.
 */
public interface Checker {
    /** Short stable name, used in reports and JSON (e.g. "convergence"). */
    String name();

    Verdict check(History history);
}
