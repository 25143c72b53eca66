package io.agentmesh.relay;

import io.agentmesh.relay.limits.Episode;
import io.agentmesh.relay.limits.SourceLimits;
import io.agentmesh.relay.limits.TokenBucket;

import java.net.InetAddress;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The relay's per-source-address buckets of control requests ({@link SourceLimits}), shared by every connection from
 * that address. At most {@value #MAX_SOURCES} addresses are tracked; the ones heard from least recently are forgotten
 * first. Thread-safe (one lock; a request's check is a few arithmetic operations).
 */
final class SourceRateLimiter {
    static final int MAX_SOURCES = 8_192;
    private static final long QUIET_NANOS = TimeUnit.SECONDS.toNanos(2);

    private final SourceLimits limits;
    private final LinkedHashMap<InetAddress, Source> sources = new LinkedHashMap<>(64, 0.75f, true);

    SourceRateLimiter(SourceLimits limits) {
        this.limits = limits;
    }

    private static final class Source {
        final TokenBucket bucket;
        final Episode episode;
        /** This episode's refusal was logged: later ones in it are only counted. */
        boolean refusalLogged;

        Source(TokenBucket bucket, Episode episode) {
            this.bucket = bucket;
            this.episode = episode;
        }
    }

    /** What a request over the limit means. */
    enum Outcome { ADMIT, SLOW, SLOW_AND_LOG, REFUSE, REFUSE_QUIETLY }

    /** The outcome and, for a slowed request, how long it waits (nanoseconds). */
    record Decision(Outcome outcome, long waitNanos) {
    }

    SourceLimits limits() {
        return limits;
    }

    Decision request(InetAddress source, long nowNanos) {
        synchronized (sources) {
            Source s = sources.get(source);
            if (s == null) {
                if (sources.size() >= MAX_SOURCES) {
                    Iterator<Map.Entry<InetAddress, Source>> eldest = sources.entrySet().iterator();
                    eldest.next();
                    eldest.remove();
                }
                s = new Source(new TokenBucket(limits.maxRequestsPerSecond(),
                        (double) limits.maxRequestsPerSecond() * SourceLimits.BURST_SECONDS, nowNanos),
                        new Episode(QUIET_NANOS, TimeUnit.MILLISECONDS.toNanos(limits.disconnectAfterMs())));
                sources.put(source, s);
            }
            long wait = s.bucket.take(1, nowNanos);
            if (wait == 0) {
                return new Decision(Outcome.ADMIT, 0);
            }
            return switch (s.episode.over(nowNanos)) {
                case STARTED -> {
                    s.refusalLogged = false;
                    yield new Decision(Outcome.SLOW_AND_LOG, wait);
                }
                case CONTINUES -> new Decision(Outcome.SLOW, wait);
                case PERSISTS -> {
                    boolean first = !s.refusalLogged;
                    s.refusalLogged = true;
                    yield new Decision(first ? Outcome.REFUSE : Outcome.REFUSE_QUIETLY, wait);
                }
            };
        }
    }
}
