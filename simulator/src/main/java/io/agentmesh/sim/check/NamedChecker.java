package io.agentmesh.sim.check;

import java.util.List;
import java.util.Objects;

/**
 * A checker whose name is given once, at construction, and put on every verdict it returns, so a checker cannot
 * report under a name other than the one it is listed by.
 */
public abstract class NamedChecker implements Checker {
    private final String name;

    protected NamedChecker(String name) {
        this.name = Objects.requireNonNull(name, "a checker needs a name");
    }

    @Override
    public final String name() {
        return name;
    }

    /** The property held; {@code summary} says how much was checked. */
    protected final Verdict pass(String summary) {
        return Verdict.pass(name, summary);
    }

    /** The property did not hold, or could not be checked, for the one reason {@code summary} gives. */
    protected final Verdict fail(String summary) {
        return Verdict.fail(name, summary, List.of());
    }

    /** The property did not hold: {@code summary} for people, then each violation found. */
    protected final Verdict fail(String summary, List<String> violations) {
        return Verdict.fail(name, summary, violations);
    }
}
