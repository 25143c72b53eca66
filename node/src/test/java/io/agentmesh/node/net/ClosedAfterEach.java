package io.agentmesh.node.net;

import java.util.ArrayList;
import java.util.List;

/** What a test opened (relays, nodes), closed newest first when the test ends (a field marked {@code @AutoClose}). */
final class ClosedAfterEach implements AutoCloseable {
    private final List<AutoCloseable> open = new ArrayList<>();

    void add(AutoCloseable c) {
        open.add(c);
    }

    @Override
    public void close() throws Exception {
        for (int i = open.size() - 1; i >= 0; i--) {
            open.get(i).close();
        }
        open.clear();
    }
}
