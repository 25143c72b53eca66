package io.agentmesh.node.backup.format;

import io.agentmesh.protocol.bytes.Bytes;
import io.agentmesh.protocol.change.ActorId;

import java.util.HexFormat;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The name of a backup object, parsed: its kind, the SHA-256 of its bytes, and for segments the actor and sequence
 * range, for manifests their number. Numbers are zero-padded to 19 digits so names list in order.
 * <pre>
 *   seg/&lt;actor: 32 hex&gt;/&lt;fromSeq&gt;-&lt;toSeq&gt;-&lt;sha256&gt;.age
 *   snap/&lt;sha256&gt;.age
 *   ident/&lt;sha256&gt;.age
 *   man/&lt;number&gt;-&lt;sha256&gt;.age
 * </pre>
 */
public record ObjectName(Kind kind, Bytes sha256, Optional<ActorId> actor, long from, long to) {
    private static final Pattern SEG = Pattern.compile("seg/([0-9a-f]{32})/([0-9]{19})-([0-9]{19})-([0-9a-f]{64})\\.age");
    private static final Pattern SNAP = Pattern.compile("snap/([0-9a-f]{64})\\.age");
    private static final Pattern IDENT = Pattern.compile("ident/([0-9a-f]{64})\\.age");
    private static final Pattern MAN = Pattern.compile("man/([0-9]{19})-([0-9a-f]{64})\\.age");

    public enum Kind { SEGMENT, SNAPSHOT, IDENTITY, MANIFEST }

    static String segment(ActorId actor, long fromSeq, long toSeq, Bytes sha) {
        return "seg/" + actor.hex() + "/" + pad(fromSeq) + "-" + pad(toSeq) + "-" + sha.hex() + ".age";
    }

    static String snapshot(Bytes sha) {
        return "snap/" + sha.hex() + ".age";
    }

    static String identity(Bytes sha) {
        return "ident/" + sha.hex() + ".age";
    }

    static String manifest(long number, Bytes sha) {
        return "man/" + pad(number) + "-" + sha.hex() + ".age";
    }

    /** The parsed name, or empty for a name that is no backup object (a directory placeholder, a drill report). */
    public static Optional<ObjectName> parse(String name) {
        Matcher m;
        if ((m = SEG.matcher(name)).matches()) {
            long from = Long.parseLong(m.group(2));
            long to = Long.parseLong(m.group(3));
            if (from < 1 || to < from) {
                return Optional.empty();
            }
            return Optional.of(new ObjectName(Kind.SEGMENT, hex(m.group(4)), Optional.of(ActorId.fromHex(m.group(1))),
                    from, to));
        }
        if ((m = SNAP.matcher(name)).matches()) {
            return Optional.of(new ObjectName(Kind.SNAPSHOT, hex(m.group(1)), Optional.empty(), 0, 0));
        }
        if ((m = IDENT.matcher(name)).matches()) {
            return Optional.of(new ObjectName(Kind.IDENTITY, hex(m.group(1)), Optional.empty(), 0, 0));
        }
        if ((m = MAN.matcher(name)).matches()) {
            long n = Long.parseLong(m.group(1));
            return n < 1 ? Optional.empty()
                    : Optional.of(new ObjectName(Kind.MANIFEST, hex(m.group(2)), Optional.empty(), n, n));
        }
        return Optional.empty();
    }

    /** A manifest's number (its {@code from}). */
    public long number() {
        return from;
    }

    private static Bytes hex(String h) {
        return Bytes.copyOf(HexFormat.of().parseHex(h));
    }

    private static String pad(long n) {
        return String.format("%019d", n);
    }
}
