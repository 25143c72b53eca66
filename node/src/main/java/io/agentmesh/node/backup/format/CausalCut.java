package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.bytes.Bytes;
import io.agentmesh.protocol.change.ActorId;
import io.agentmesh.protocol.change.SignedChange;
import io.agentmesh.state.automerge.ChangeHeader;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A point-in-time restore to a causal cut (docs/backup.md, "Point in time"): per actor, the highest sequence number to
 * keep. Actors the cut does not name keep nothing. The cut must be causally closed: no kept change may depend on a
 * change above the cut, or the restored document would be missing what its changes build on. Pure: no IO.
 *
 * <p>The text form is {@code actor:seq,actor:seq,...}, each actor its 32 hex digits or a unique prefix of at least 8
 * (as {@code agentmesh drill} and {@code backup list} print them).
 */
public final class CausalCut {
    /** At most this many actors in one cut. */
    public static final int MAX_ACTORS = 10_000;
    private static final Pattern ENTRY = Pattern.compile("([0-9a-f]{8,32}):([0-9]{1,18})");

    private final Map<String, Long> bounds;

    private CausalCut(Map<String, Long> bounds) {
        this.bounds = bounds;
    }

    /**
     * Parses {@code actor:seq,...}.
     *
     * @throws IllegalArgumentException naming the entry that is malformed or repeated
     */
    public static CausalCut parse(String text) {
        if (text == null || text.isBlank()) {
            throw new IllegalArgumentException("--cut needs actor:seq,... (an actor's hex id or a prefix of at least 8"
                    + " hex digits, and the highest sequence number to keep)");
        }
        Map<String, Long> out = new LinkedHashMap<>();
        for (String raw : text.split(",", -1)) {
            String e = raw.trim().toLowerCase(Locale.ROOT);
            var m = ENTRY.matcher(e);
            if (!m.matches()) {
                throw new IllegalArgumentException("--cut: \"" + raw.trim() + "\" is not actor:seq (an actor's hex id"
                        + " or a prefix of at least 8 hex digits, a colon, a sequence number)");
            }
            if (out.put(m.group(1), Long.parseLong(m.group(2))) != null) {
                throw new IllegalArgumentException("--cut names actor " + m.group(1) + " twice");
            }
            if (out.size() > MAX_ACTORS) {
                throw new IllegalArgumentException("--cut names more than " + MAX_ACTORS + " actors");
            }
        }
        return new CausalCut(out);
    }

    /**
     * The changes of {@code set} at or below the cut, in the set's causal order.
     *
     * @throws IllegalArgumentException when an actor matches none or several of the backup's actors, a bound is above
     *                                  what the backup holds, or the cut is not causally closed (naming the first kept
     *                                  change, in causal order, whose dependency is above the cut)
     */
    public List<SignedChange> apply(BackupReader.RestoreSet set) {
        Map<ActorId, Long> held = set.manifest().versionVector().seqs();
        Map<ActorId, Long> resolved = new TreeMap<>();
        bounds.forEach((prefix, seq) -> {
            List<ActorId> matches = held.keySet().stream().filter(a -> a.hex().startsWith(prefix)).sorted().toList();
            if (matches.size() != 1) {
                throw new IllegalArgumentException("--cut: actor " + prefix + (matches.isEmpty()
                        ? " is not in manifest " + set.ref().number() + "; its actors are " + describe(held)
                        : " matches " + matches.size() + " actors of the backup; give more digits"));
            }
            ActorId a = matches.get(0);
            if (seq > held.get(a)) {
                throw new IllegalArgumentException("--cut: manifest " + set.ref().number() + " holds actor " + a.hex()
                        + " up to seq " + held.get(a) + " only, not " + seq);
            }
            if (resolved.put(a, seq) != null) {
                throw new IllegalArgumentException("--cut names actor " + a.hex() + " twice (two prefixes)");
            }
        });
        Map<Bytes, SignedChange> byHash = new HashMap<>();
        for (SignedChange c : set.changes()) {
            byHash.put(Bytes.copyOf(ChangeHeader.parse(c.bytes()).hash()), c);
        }
        List<SignedChange> kept = new ArrayList<>();
        for (SignedChange c : set.changes()) {
            if (c.seq() > resolved.getOrDefault(c.actor(), 0L)) {
                continue;
            }
            for (byte[] d : ChangeHeader.parse(c.bytes()).deps()) {
                SignedChange dep = byHash.get(Bytes.copyOf(d));
                // A dependency the backup does not hold is a genesis change (the reader checked): always present.
                if (dep != null && dep.seq() > resolved.getOrDefault(dep.actor(), 0L)) {
                    throw new IllegalArgumentException("the cut is not causally closed: change " + c.actor().hex()
                            + ":" + c.seq() + " (kept) depends on change " + dep.actor().hex() + ":" + dep.seq()
                            + ", which is above the cut (" + dep.actor().hex() + ":"
                            + resolved.getOrDefault(dep.actor(), 0L) + "); keep " + dep.actor().hex() + " up to at least "
                            + dep.seq() + " or " + c.actor().hex() + " below " + c.seq() + ". Nothing restored");
                }
            }
            kept.add(c);
        }
        return kept;
    }

    private static String describe(Map<ActorId, Long> held) {
        StringBuilder b = new StringBuilder();
        new TreeMap<>(held).forEach((a, n) -> b.append(b.isEmpty() ? "" : ", ").append(a.hex()).append(":").append(n));
        return b.toString();
    }
}
