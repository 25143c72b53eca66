package io.agentmesh.sim.check;

import java.util.List;
import java.util.Optional;

/**
 * The ERROR lines of the consensus library (MicroRaft) that a run may show and still pass, each proven harmless, with
 * the reason. The one place they are listed: the node-health check reads it for simulated runs ({@code
 * library-error} problems) and live ones ({@code log-error} problems, read from the nodes' logs). Anything else the
 * library logs as ERROR fails the run.
 */
public final class KnownLibraryErrors {
    /** A harmless ERROR: every line containing {@code message} is explained by {@code reason}. */
    public record Known(String message, String reason) {
    }

    private static final List<Known> ALL = List.of();

    private KnownLibraryErrors() {
    }

    public static List<Known> all() {
        return ALL;
    }

    /** The entry of {@code known} that explains {@code line}, if one does. */
    public static Optional<Known> explain(List<Known> known, String line) {
        return known.stream().filter(k -> line.contains(k.message())).findFirst();
    }
}
