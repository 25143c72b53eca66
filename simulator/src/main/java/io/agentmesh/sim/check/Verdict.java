package io.agentmesh.sim.check;

import java.util.List;

/**
 * What one checker concluded about a history.
 *
 * @param checker    the checker's name
 * @param passed     whether the property held
 * @param summary    one line for people
 * @param violations each violation found, most telling first (capped by the checker)
 */
public record Verdict(String checker, boolean passed, String summary, List<String> violations) {
    public Verdict {
        violations = List.copyOf(violations);
    }

    public static Verdict pass(String checker, String summary) {
        return new Verdict(checker, true, summary, List.of());
    }

    public static Verdict fail(String checker, String summary, List<String> violations) {
        return new Verdict(checker, false, summary, violations);
    }

    @Override
    public String toString() {
        return (passed ? "PASS " : "FAIL ") + checker + ": " + summary;
    }
}
