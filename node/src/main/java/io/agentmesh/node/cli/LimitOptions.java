package io.agentmesh.node.cli;

import io.agentmesh.node.limits.ClientLimits;
import io.agentmesh.node.limits.Limits;
import io.agentmesh.node.limits.PeerLimits;
import picocli.CommandLine.Option;

/** The input limits of `node run` (docs/security.md, "Limits"); each flag is also a YAML key and a variable. */
final class LimitOptions {
    @Option(names = "--peer-max-changes-per-second", paramLabel = "N",
            defaultValue = "" + PeerLimits.DEFAULT_MAX_CHANGES_PER_SECOND,
            description = "Signed changes one peer may send a second (2 s of it as a burst) before its connection is"
                    + " read more slowly (default ${DEFAULT-VALUE}).")
    long peerMaxChangesPerSecond;

    @Option(names = "--peer-max-bytes-per-second", paramLabel = "BYTES",
            defaultValue = "" + PeerLimits.DEFAULT_MAX_BYTES_PER_SECOND,
            description = "Frame bytes one peer may send a second (2 s of it as a burst) before its connection is"
                    + " read more slowly (default ${DEFAULT-VALUE}).")
    long peerMaxBytesPerSecond;

    @Option(names = "--peer-limit-disconnect-after-ms", paramLabel = "MS",
            defaultValue = "" + PeerLimits.DEFAULT_DISCONNECT_AFTER_MS,
            description = "A peer over its limit this long is disconnected (default ${DEFAULT-VALUE}).")
    long peerDisconnectAfterMs;

    @Option(names = "--http-max-requests-per-second", paramLabel = "N",
            defaultValue = "" + ClientLimits.DEFAULT_MAX_REQUESTS_PER_SECOND,
            description = "API requests a second from one non-loopback address (2 s of it as a burst); beyond: 429"
                    + " with Retry-After (default ${DEFAULT-VALUE}).")
    long httpMaxRequestsPerSecond;

    @Option(names = "--http-max-concurrent-requests", paramLabel = "N",
            defaultValue = "" + ClientLimits.DEFAULT_MAX_CONCURRENT_REQUESTS,
            description = "API requests of one non-loopback address handled at once; beyond: 429 (default"
                    + " ${DEFAULT-VALUE}).")
    int httpMaxConcurrentRequests;

    @Option(names = "--http-loopback-max-requests-per-second", paramLabel = "N",
            defaultValue = "" + ClientLimits.DEFAULT_LOOPBACK_MAX_REQUESTS_PER_SECOND,
            description = "API requests a second from loopback (the agent, the CLI) (default ${DEFAULT-VALUE}).")
    long httpLoopbackMaxRequestsPerSecond;

    @Option(names = "--http-loopback-max-concurrent-requests", paramLabel = "N",
            defaultValue = "" + ClientLimits.DEFAULT_LOOPBACK_MAX_CONCURRENT_REQUESTS,
            description = "API requests from loopback handled at once (default ${DEFAULT-VALUE}).")
    int httpLoopbackMaxConcurrentRequests;

    @Option(names = "--http-limit-disconnect-after-ms", paramLabel = "MS",
            defaultValue = "" + ClientLimits.DEFAULT_DISCONNECT_AFTER_MS,
            description = "An API client over its limit this long has its connections closed unanswered (default"
                    + " ${DEFAULT-VALUE}).")
    long httpDisconnectAfterMs;

    /** The limits these flags give; IllegalArgumentException (exit 2) naming the bad value. */
    Limits limits() {
        positive("--peer-max-changes-per-second", peerMaxChangesPerSecond);
        positive("--peer-max-bytes-per-second", peerMaxBytesPerSecond);
        positive("--peer-limit-disconnect-after-ms", peerDisconnectAfterMs);
        positive("--http-max-requests-per-second", httpMaxRequestsPerSecond);
        positive("--http-max-concurrent-requests", httpMaxConcurrentRequests);
        positive("--http-loopback-max-requests-per-second", httpLoopbackMaxRequestsPerSecond);
        positive("--http-loopback-max-concurrent-requests", httpLoopbackMaxConcurrentRequests);
        positive("--http-limit-disconnect-after-ms", httpDisconnectAfterMs);
        return new Limits(new PeerLimits(peerMaxChangesPerSecond, peerMaxBytesPerSecond, peerDisconnectAfterMs),
                new ClientLimits(httpMaxRequestsPerSecond, httpMaxConcurrentRequests, httpLoopbackMaxRequestsPerSecond,
                        httpLoopbackMaxConcurrentRequests, httpDisconnectAfterMs));
    }

    private static void positive(String flag, long value) {
        if (value <= 0) {
            throw new IllegalArgumentException(flag + " must be > 0, got " + value);
        }
    }
}
