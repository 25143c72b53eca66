package io.agentmesh.node.cli;

import io.agentmesh.node.limits.ClientLimits;
import io.agentmesh.node.limits.Limits;
import io.agentmesh.node.limits.PeerLimits;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class LimitOptionsTest {
    private static LimitOptions parse(String... args) {
        LimitOptions options = new LimitOptions();
        new CommandLine(options).parseArgs(args);
        return options;
    }

    @Test
    void withoutFlagsTheLimitsAreTheDefaults() {
        Limits limits = parse().limits();
        assertEquals(PeerLimits.defaults(), limits.peers());
        assertEquals(ClientLimits.defaults(), limits.clients());
    }

    @Test
    void flagsSetEachLimit() {
        Limits limits = parse("--peer-max-changes-per-second", "7", "--peer-max-bytes-per-second", "8",
                "--peer-limit-disconnect-after-ms", "9", "--http-max-requests-per-second", "10",
                "--http-max-concurrent-requests", "11", "--http-loopback-max-requests-per-second", "12",
                "--http-loopback-max-concurrent-requests", "13", "--http-limit-disconnect-after-ms", "14").limits();
        assertEquals(new PeerLimits(7, 8, 9), limits.peers());
        assertEquals(new ClientLimits(10, 11, 12, 13, 14), limits.clients());
    }

    @Test
    void aZeroLimitIsRefusedNamingItsFlag() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> parse("--http-max-concurrent-requests", "0").limits());
        assertTrue(e.getMessage().startsWith("--http-max-concurrent-requests must be > 0"), e.getMessage());
    }
}
