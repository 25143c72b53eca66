package io.agentmesh.state.store;

import java.io.IOException;
import java.nio.file.Path;

/** Child process for the lock test: opens the store, says so, and holds it until its stdin closes. */
public final class StoreHolderMain {
    static final String READY = "open";

    private StoreHolderMain() {
    }

    public static void main(String[] args) throws IOException {
        try (SqliteChangeStore store = SqliteChangeStore.open(Path.of(args[0]))) {
            System.out.println(READY);
            System.out.flush();
            while (System.in.read() >= 0) {
                // Hold the store until the parent closes our stdin (or dies).
            }
            store.changeCount();
        }
    }
}
