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
            level(name, ch.qos.logback.classic.Level.WARN);
        }
        // MicroRaft warns about every stale message after a leader change: routine under simulated faults.
        level("io.microraft", ch.qos.logback.classic.Level.ERROR);
        // So does our watchdog of followers whose stale pre-vote hides a silent leader (several times a faulty run).
        level("io.agentmesh.node.consensus.ElectionLiveness", ch.qos.logback.classic.Level.ERROR);
    }

    private static void level(String name, ch.qos.logback.classic.Level level) {
        if (LoggerFactory.getLogger(name) instanceof ch.qos.logback.classic.Logger logger) {
            logger.setLevel(level);
        }
    }
}
