package io.agentmesh.relay.protocol;

import io.agentmesh.protocol.identity.AgentId;
import io.agentmesh.protocol.identity.NodeId;

import java.util.Arrays;
import java.util.HashMap;
import java.util.Iterator;
import java.util.Map;
import java.util.Objects;

/**
 * Decides, for a node of one agent, which registration records to believe when they come from untrusted relays.
 * Keeps the newest record seen per node and, per source (relay), the highest sequence that source has served.
 *
 * <ul>
 *   <li>A record that fails {@link RegistrationRecord#verify} is {@link Outcome#REJECTED} and its source is at
 *       fault: only a relay that forges or alters records serves one (an expired record is blamed on the source
 *       only when it expired more than {@code expiredGraceMs} ago, to forgive a relay whose clock is a bit
 *       behind).</li>
 *   <li>A record with a lower sequence than one the <em>same source</em> served before is a replay:
 *       {@link Outcome#REJECTED} with reason {@link RecordException.Reason#REPLAYED}, source at fault (an honest
 *       relay only moves forward).</li>
 *   <li>A record older than one another source served is {@link Outcome#STALE}: rejected, not blamed (that relay
 *       may simply not have the refresh yet).</li>
 *   <li>Otherwise the newest record wins: {@link Outcome#NEW} when it changes what is known,
 *       {@link Outcome#UNCHANGED} when it is the record already held.</li>
 * </ul>
 * Thread-safe.
 */
public final class RecordVerifier {

    public enum Outcome { NEW, UNCHANGED, STALE, REJECTED }

    /**
     * @param record        the decoded record (null when it did not decode)
     * @param reason        why it was rejected (REJECTED only)
     * @param detail        a message for the log (REJECTED and STALE)
     * @param sourceAtFault whether the source must have forged, altered or replayed it
     */
    public record Verdict(Outcome outcome, RegistrationRecord record, RecordException.Reason reason, String detail,
                          boolean sourceAtFault) {
    }

    private static final class Known {
        RegistrationRecord newest;
        byte[] newestBytes;
        final Map<String, Long> highestBySource = new HashMap<>();
    }

    private final AgentId agent;
    private final long maxTtlMs;
    private final long expiredGraceMs;
    private final Map<NodeId, Known> known = new HashMap<>();

    /**
     * @param agent          the agent whose records are accepted
     * @param maxTtlMs       longest validity a record may claim from now
     * @param expiredGraceMs how long after expiry serving a record is not yet held against its source
     */
    public RecordVerifier(AgentId agent, long maxTtlMs, long expiredGraceMs) {
        this.agent = Objects.requireNonNull(agent, "agent");
        this.maxTtlMs = maxTtlMs;
        this.expiredGraceMs = expiredGraceMs;
    }

    /** Judges {@code encoded}, received from {@code source}, at {@code nowMillis}. */
    public synchronized Verdict check(byte[] encoded, String source, long nowMillis) {
        Verdict repeat = repeat(encoded, source, nowMillis);
        if (repeat != null) {
            return repeat;
        }
        RegistrationRecord record;
        try {
            record = RegistrationRecord.fromBytes(encoded);
        } catch (RecordException e) {
            return new Verdict(Outcome.REJECTED, null, e.reason(), e.getMessage(), true);
        }
        try {
            record.verify(agent, nowMillis, maxTtlMs);
        } catch (RecordException e) {
            boolean blame = e.reason() != RecordException.Reason.EXPIRED
                    || nowMillis - record.expiresAt() > expiredGraceMs;
            return new Verdict(Outcome.REJECTED, record, e.reason(), e.getMessage(), blame);
        }
        Known k = known.computeIfAbsent(record.nodeId(), n -> new Known());
        Long fromSource = k.highestBySource.get(source);
        if (fromSource != null && record.sequence() < fromSource) {
            return new Verdict(Outcome.REJECTED, record, RecordException.Reason.REPLAYED, source + " served record "
                    + record.sequence() + " of node " + record.nodeId().shortForm() + " after it had served "
                    + fromSource, true);
        }
        k.highestBySource.merge(source, record.sequence(), Math::max);
        if (k.newest != null && record.sequence() < k.newest.sequence()) {
            return new Verdict(Outcome.STALE, record, null, "record " + record.sequence() + " of node "
                    + record.nodeId().shortForm() + " is older than " + k.newest.sequence(), false);
        }
        byte[] bytes = record.toBytes();
        if (k.newest != null && record.sequence() == k.newest.sequence()) {
            if (Arrays.equals(bytes, k.newestBytes)) {
                return new Verdict(Outcome.UNCHANGED, k.newest, null, null, false);
            }
            // Two different records with one sequence, both signed by the node: its business, not the relay's.
            return new Verdict(Outcome.STALE, record, null, "node " + record.nodeId().shortForm()
                    + " signed two records with sequence " + record.sequence() + "; keeping the first", false);
        }
        k.newest = record;
        k.newestBytes = bytes;
        return new Verdict(Outcome.NEW, record, null, null, false);
    }

    /**
     * The bytes of the record already believed for their node, still unexpired: no need to verify the signatures
     * again (lookups repeat the same records every few seconds). Null when not such a repeat.
     */
    private Verdict repeat(byte[] encoded, String source, long nowMillis) {
        if (encoded == null || encoded.length < 1 + NodeId.LENGTH) {
            return null;
        }
        Known k = known.get(new NodeId(Arrays.copyOfRange(encoded, 1, 1 + NodeId.LENGTH)));
        if (k == null || k.newest == null || !Arrays.equals(encoded, k.newestBytes)
                || nowMillis >= k.newest.expiresAt() || nowMillis >= k.newest.certificate().notAfter()) {
            return null;
        }
        k.highestBySource.merge(source, k.newest.sequence(), Math::max);
        return new Verdict(Outcome.UNCHANGED, k.newest, null, null, false);
    }

    /** The newest believed record of {@code node}, or null. */
    public synchronized RegistrationRecord newest(NodeId node) {
        Known k = known.get(node);
        return k == null ? null : k.newest;
    }

    /** Drops what is known about nodes whose newest record expired more than {@code maxTtlMs} ago. */
    public synchronized void prune(long nowMillis) {
        for (Iterator<Known> it = known.values().iterator(); it.hasNext(); ) {
            Known k = it.next();
            if (k.newest == null || nowMillis - k.newest.expiresAt() > maxTtlMs) {
                it.remove();
            }
        }
    }
}
