package io.agentmesh.sim.check;

import io.agentmesh.protocol.change.ActorId;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * Every (actor, seq) seen anywhere in a run (on the wire, in a store) with the first bytes seen for it. Seeing the
 * same (actor, seq) again with different bytes is a reuse: an author signed two changes under one sequence number,
 * which makes replicas disagree forever without either noticing.
 */
public final class ChangeLedger {
    private final Map<Key, First> first = new HashMap<>();
    private final List<Reuse> reuses = new ArrayList<>();
    private final java.util.Set<Key> reported = new java.util.HashSet<>();
    private long observations;

    private record Key(ActorId actor, long seq) {
    }

    private record First(byte[] bytes, String where, long atMs) {
    }

    /** One (actor, seq) seen with two different byte strings. */
    public record Reuse(String actor, long seq, String firstWhere, long firstAtMs, String firstSha256,
                        String where, long atMs, String sha256) {
        @Override
        public String toString() {
            return "actor " + actor + " seq " + seq + ": " + firstSha256.substring(0, 12) + " (" + firstWhere
                    + " at " + firstAtMs + " ms) vs " + sha256.substring(0, 12) + " (" + where + " at " + atMs
                    + " ms)";
        }
    }

    /** Records that {@code where} (e.g. "wire n1->n2", "store n3") held {@code bytes} as (actor, seq). */
    public void observe(ActorId actor, long seq, byte[] bytes, String where, long atMs) {
        observations++;
        Key key = new Key(actor, seq);
        First f = first.get(key);
        if (f == null) {
            first.put(key, new First(bytes, where, atMs));
            return;
        }
        if (!Arrays.equals(f.bytes(), bytes) && reported.add(key)) {
            if (reuses.size() < 1_000) {
                reuses.add(new Reuse(actor.hex(), seq, f.where(), f.atMs(), sha256(f.bytes()), where, atMs,
                        sha256(bytes)));
            }
        }
    }

    public List<Reuse> reuses() {
        return List.copyOf(reuses);
    }

    public long observations() {
        return observations;
    }

    public int distinctChanges() {
        return first.size();
    }

    private static String sha256(byte[] bytes) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
