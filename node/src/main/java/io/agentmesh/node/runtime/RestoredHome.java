package io.agentmesh.node.runtime;

import io.agentmesh.protocol.identity.IdentityDirectory;
import io.agentmesh.protocol.time.Clock;
import io.agentmesh.state.Intent;
import io.agentmesh.state.Outcome;
import io.agentmesh.state.store.ChangeStore;
import io.agentmesh.state.store.SqliteChangeStore;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * A home made by {@code agentmesh restore} stays quiet until it is told what it is (docs/backup.md, "Restoring"). Its
 * state directory holds the marker {@value #MARKER}; while it is there, {@code node run} without peers serves the
 * restored state but takes no part in consensus, so it performs no intent and starts no agent: the cluster the backup
 * came from may still be alive, and intents without an outcome in the backup may have been performed there.
 * <ul>
 *   <li>Given peers or relays, the node joins the running cluster as any new node does, whose journal knows what was
 *       performed.</li>
 *   <li>{@code node run --take-over} ({@link #takeOver}) makes it the agent's cluster: every intent still without an
 *       outcome gets an {@code uncertain} one first (at most once: never run again, since the old cluster may have
 *       run it), then the marker goes and the node founds its group.</li>
 * </ul>
 */
public final class RestoredHome {
    public static final String MARKER = "restored-from-backup";

    private RestoredHome() {
    }

    public static void mark(Path stateDir, String what) throws IOException {
        Files.createDirectories(stateDir);
        Files.writeString(stateDir.resolve(MARKER), what + "\n", StandardCharsets.UTF_8);
    }

    public static boolean isRestored(Path stateDir) {
        return Files.exists(stateDir.resolve(MARKER));
    }

    /** Settles every intent without an outcome as uncertain, then removes the marker; returns how many. */
    public static int takeOver(Path identityDir, Path stateDir, Optional<char[]> passphrase, Clock clock)
            throws IOException {
        if (!isRestored(stateDir)) {
            throw new IllegalArgumentException("--take-over is for a home made by `agentmesh restore`, and "
                    + stateDir + " holds no " + MARKER + " marker (it was never restored, or has taken over already)");
        }
        // A restored store has no incarnation record until a node ran on it once; the offline writer needs one.
        try (ChangeStore store = SqliteChangeStore.open(stateDir.resolve(NodeRuntime.STORE_FILE))) {
            NodeRuntime.incarnation(IdentityDirectory.of(identityDir), store);
        }
        int settled;
        try (OfflineState state = OfflineState.open(identityDir, stateDir, passphrase)) {
            String node = IdentityDirectory.of(identityDir).nodeId().toString();
            List<Intent> pending = state.read(s -> s.pendingIntents());
            long now = clock.nowMillis();
            for (Intent i : pending) {
                state.write(s -> s.recordOutcome(new Outcome(i.id(), Outcome.UNCERTAIN, "restored from a backup: the"
                        + " cluster that wrote it may have performed this intent; it is not run again (request it anew"
                        + " if it is still wanted)", node, 0, 0, now)));
            }
            settled = pending.size();
        }
        Files.delete(stateDir.resolve(MARKER));
        return settled;
    }
}
