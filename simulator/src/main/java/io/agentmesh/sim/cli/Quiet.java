package io.agentmesh.sim.cli;

import org.slf4j.LoggerFactory;

/**
 * A simulated run starts and stops thousands of connections in seconds; the node core logs each at INFO. The CLI
 * raises those loggers to WARN (when Logback is the binding), so runs stay fast and the output readable.
 */
final class Quiet {
    private Quiet() {
    }

    static void nodeLogs() {
        for (String name : new String[]{"io.agentmesh.node", "io.agentmesh.state"}) {
            if (LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger) {
                logger.setLevel(ch.qos.logback.classic.Level.WARN);
            }
        }
    }
}
