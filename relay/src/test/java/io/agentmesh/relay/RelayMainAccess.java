package io.agentmesh.relay;

import java.util.Map;

/** Lets tests in other packages run the relay's command line with an environment of their own. */
public final class RelayMainAccess {
    private RelayMainAccess() {
    }

    public static int execute(Map<String, String> env, String... argv) {
        return RelayMain.execute(env, argv);
    }
}
