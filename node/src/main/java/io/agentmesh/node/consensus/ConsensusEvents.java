package io.agentmesh.node.consensus;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.List;

/**
 * What this node's consensus member went through, as it saw it and on its own clock: every change of role, term or
 * leader it took note of, and every claim its action journal applied. Read-only for everyone else: operators, and
 * the live simulator, which checks that this node performed an intent only after its own journal applied the claim
 * and while it led the claim's term. Times come from the node's clock, so they compare only with other times taken
 * on this node (its performed.jsonl lines), never with another process's.
 *
 * <p>Bounded: the newest {@code capacity} events are kept; a reader that falls further behind sees the hole as
 * {@link Page#firstSeq()} above the sequence number it asked after. Node thread only, like the journal it watches.
 */
public final class ConsensusEvents {
    /** One event; {@code seq} orders the events of one member. */
    public sealed interface Event permits RoleChanged, ClaimApplied {
        long seq();

        long atMillis();
    }

    /** A role, term or leader change; {@code leader} is the leader's node id, or null when none is known. */
    public record RoleChanged(long seq, long atMillis, String role, long term, String leader) implements Event {
    }

    /** A claim as this node's journal applied it: holder's node id and the fencing token (term, log index). */
    public record ClaimApplied(long seq, long atMillis, String intentId, String holder, long term, long index) implements Event {
    }

    /**
     * The events after some sequence number. {@code startedMillis} tells this member's events apart from those of an
     * earlier process of the same node (sequence numbers start again at 1); {@code nowMillis} is when the page was
     * read, so the reader knows up to when it has seen everything.
     */
    public record Page(long startedMillis, long nowMillis, long firstSeq, long nextSeq, List<RoleChanged> roles,
                       List<ClaimApplied> claims) {
        public Page {
            roles = List.copyOf(roles);
            claims = List.copyOf(claims);
        }
    }

    private final long startedMillis;
    private final int capacity;
    private final ArrayDeque<Event> kept;
    private long nextSeq = 1;

    public ConsensusEvents(long startedMillis, int capacity) {
        if (capacity < 1) {
            throw new IllegalArgumentException("capacity must be positive, got " + capacity);
        }
        this.startedMillis = startedMillis;
        this.capacity = capacity;
        this.kept = new ArrayDeque<>(Math.min(capacity, 1024));
    }

    void roleChanged(long atMillis, String role, long term, String leader) {
        add(new RoleChanged(nextSeq++, atMillis, role, term, leader));
    }

    void claimApplied(long atMillis, String intentId, String holder, long term, long index) {
        add(new ClaimApplied(nextSeq++, atMillis, intentId, holder, term, index));
    }

    private void add(Event event) {
        if (kept.size() == capacity) {
            kept.removeFirst();
        }
        kept.addLast(event);
    }

    /** The kept events with a sequence number above {@code afterSeq}, read at {@code nowMillis}. */
    public Page after(long afterSeq, long nowMillis) {
        List<RoleChanged> roles = new ArrayList<>();
        List<ClaimApplied> claims = new ArrayList<>();
        // Kept in seq order: walk back from the newest, so a reader that is caught up costs only what is new.
        Iterator<Event> newestFirst = kept.descendingIterator();
        while (newestFirst.hasNext()) {
            Event e = newestFirst.next();
            if (e.seq() <= afterSeq) {
                break;
            }
            switch (e) {
                case RoleChanged r -> roles.add(r);
                case ClaimApplied c -> claims.add(c);
            }
        }
        Collections.reverse(roles);
        Collections.reverse(claims);
        long first = kept.isEmpty() ? nextSeq : kept.peekFirst().seq();
        return new Page(startedMillis, nowMillis, first, nextSeq, roles, claims);
    }
}
