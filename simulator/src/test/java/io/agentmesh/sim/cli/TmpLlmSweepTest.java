package io.agentmesh.sim.cli;

import org.junit.jupiter.api.Test;

class TmpLlmSweepTest {
    @Test
    void run() {
        CliRun r = CliRun.run("sim", "run", "--nodes", "3", "--seed", "100", "--seeds", "20", "--duration", "60s",
                "--faults", "crash,partition", "--llm-intents-per-second", "1", "--no-report");
        System.out.println("EXIT " + r.exit() + "\n" + r.out());
        r = CliRun.run("sim", "run", "--nodes", "5", "--seed", "200", "--seeds", "20", "--duration", "60s",
                "--faults", "all", "--llm-intents-per-second", "2", "--no-report");
        System.out.println("EXIT " + r.exit() + "\n" + r.out());
    }
}
