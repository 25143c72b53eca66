package io.agentmesh.node.api;

import com.sun.net.httpserver.Filter;
import com.sun.net.httpserver.HttpExchange;
import io.agentmesh.node.limits.ClientLimits;
import io.agentmesh.relay.limits.Episode;
import io.agentmesh.node.limits.Limits;
import io.agentmesh.node.limits.PeerLimits;
import io.agentmesh.relay.limits.TokenBucket;
import io.agentmesh.protocol.time.Clock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * Per-client limits of the HTTP API ({@link ClientLimits}), keyed by the remote address and checked before every
 * other filter and handler, so a flood of refused requests is limited too. Over the request rate or the concurrent
 * requests: 429 with {@code Retry-After} (whole seconds) and a JSON error; still over after
 * {@code disconnectAfterMs}: the connection is closed with no answer. One log line per episode and one at the
 * disconnection; {@link Limits} counts both for the metrics. At most {@value #MAX_CLIENTS} addresses are tracked; the
 * ones idle longest are forgotten first (a forgotten client starts again with a full bucket).
 */
public final class ClientRateLimiter extends Filter {
    private static final Logger log = LoggerFactory.getLogger(ClientRateLimiter.class);
    static final int MAX_CLIENTS = 4_096;

    private final ClientLimits limits;
    private final Limits counters;
    private final Clock clock;
    private final String nodeName;
    /** Access order: the eldest entry is the client heard from least recently. Guarded by itself. */
    private final LinkedHashMap<InetAddress, Client> clients = new LinkedHashMap<>(64, 0.75f, true);

    public ClientRateLimiter(Limits limits, Clock clock, String nodeName) {
        this.limits = limits.clients();
        this.counters = limits;
        this.clock = clock;
        this.nodeName = nodeName;
    }

    private final class Client {
        final boolean loopback;
        final TokenBucket requests;
        final Episode episode;
        int inFlight;
        /** This episode's disconnection was logged: later ones in it are only counted. */
        boolean disconnectLogged;

        Client(boolean loopback, long now) {
            this.loopback = loopback;
            long rate = loopback ? limits.loopbackMaxRequestsPerSecond() : limits.maxRequestsPerSecond();
            this.requests = new TokenBucket(rate, (double) rate * PeerLimits.BURST_SECONDS, now);
            this.episode = new Episode(TimeUnit.MILLISECONDS.toNanos(Limits.EPISODE_QUIET_MS),
                    TimeUnit.MILLISECONDS.toNanos(limits.disconnectAfterMs()));
        }

        int maxConcurrent() {
            return loopback ? limits.loopbackMaxConcurrentRequests() : limits.maxConcurrentRequests();
        }

        long maxPerSecond() {
            return loopback ? limits.loopbackMaxRequestsPerSecond() : limits.maxRequestsPerSecond();
        }
    }

    private sealed interface Decision {
    }

    private record Admit(Client client) implements Decision {
    }

    private record Throttle(long retryAfterSeconds, String why, boolean logIt) implements Decision {
    }

    private record Disconnect(String why, boolean logIt) implements Decision {
    }

    @Override
    public String description() {
        return "agentmesh API limits per client address";
    }

    @Override
    public void doFilter(HttpExchange ex, Chain chain) throws IOException {
        InetSocketAddress remote = ex.getRemoteAddress();
        InetAddress address = remote == null ? null : remote.getAddress();
        Decision decision = decide(address);
        switch (decision) {
            case Admit admit -> {
                try {
                    chain.doFilter(ex);
                } finally {
                    synchronized (clients) {
                        admit.client().inFlight--;
                    }
                }
            }
            case Throttle t -> {
                counters.clientThrottled();
                if (t.logIt()) {
                    log.warn("node {} http slowing client {}: {}; answering 429 until it is back under (disconnected"
                            + " if it stays over for {} ms)", nodeName, address, t.why(), limits.disconnectAfterMs());
                }
                try (ex) {
                    byte[] body = ("{\"error\":\"too many requests: " + t.why() + "; retry after "
                            + t.retryAfterSeconds() + " s\"}").getBytes(StandardCharsets.UTF_8);
                    ex.getResponseHeaders().set("Retry-After", Long.toString(t.retryAfterSeconds()));
                    ex.getResponseHeaders().set("Content-Type", "application/json; charset=utf-8");
                    ex.sendResponseHeaders(429, body.length);
                    ex.getResponseBody().write(body);
                }
            }
            case Disconnect d -> {
                counters.clientDisconnected();
                if (d.logIt()) {
                    log.warn("node {} http disconnecting client {}: {} (its requests are refused unanswered until it"
                            + " stays under the limit for {} ms)", nodeName, address, d.why(), Limits.EPISODE_QUIET_MS);
                }
                // Closing an exchange whose headers were never sent closes its connection.
                ex.close();
            }
        }
    }

    private Decision decide(InetAddress address) {
        long now = clock.monotonicNanos();
        synchronized (clients) {
            Client client = clients.get(address);
            if (client == null) {
                forgetIdle();
                client = new Client(address == null || address.isLoopbackAddress(), now);
                clients.put(address, client);
            }
            long waitNanos = client.requests.take(1, now);
            String why;
            if (waitNanos > 0) {
                why = "over " + client.maxPerSecond() + " requests/s";
            } else if (client.inFlight >= client.maxConcurrent()) {
                why = "over " + client.maxConcurrent() + " concurrent requests";
                waitNanos = TimeUnit.SECONDS.toNanos(1);
            } else {
                client.inFlight++;
                return new Admit(client);
            }
            return switch (client.episode.over(now)) {
                case STARTED -> {
                    client.disconnectLogged = false;
                    yield new Throttle(retryAfterSeconds(waitNanos), why, true);
                }
                case CONTINUES -> new Throttle(retryAfterSeconds(waitNanos), why, false);
                case PERSISTS -> {
                    boolean first = !client.disconnectLogged;
                    client.disconnectLogged = true;
                    yield new Disconnect(why + " for " + client.episode.durationMs() + " ms ("
                            + client.episode.inputsOver() + " requests over the limit)", first);
                }
            };
        }
    }

    private static long retryAfterSeconds(long waitNanos) {
        return Math.max(1, (waitNanos + 999_999_999L) / 1_000_000_000L);
    }

    /** Makes room for a new client: drops the least recently heard idle ones once the table is full. */
    private void forgetIdle() {
        if (clients.size() < MAX_CLIENTS) {
            return;
        }
        Iterator<Map.Entry<InetAddress, Client>> it = clients.entrySet().iterator();
        while (it.hasNext() && clients.size() >= MAX_CLIENTS) {
            if (it.next().getValue().inFlight == 0) {
                it.remove();
            }
        }
    }

    /** Clients tracked now (for tests of the bound). */
    int trackedClients() {
        synchronized (clients) {
            return clients.size();
        }
    }
}
