package io.agentmesh.node.schedules;

import io.agentmesh.protocol.time.Clock;
import io.agentmesh.state.Intent;
import io.agentmesh.state.Schedule;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Predicate;
import java.util.function.Supplier;

/**
 * The leader's schedule loop: at each tick, expands every schedule ({@link ScheduleExpander}) at the node's wall
 * clock and requests the due intents through the node core, which writes them into the CRDT; the action loop then
 * claims and performs them like any other intent. Ticks only do something while this node is leader; a follower
 * expanding too would be harmless (same ids) but wasteful.
 *
 * <p>An invalid schedule (bad cron, zone or policy: the CRDT accepts anything anyone wrote) is skipped with one
 * warning, never a crash. Node thread.
 */
public final class ScheduleRunner {
    private static final Logger log = LoggerFactory.getLogger(ScheduleRunner.class);

    private final ScheduleExpander expander;
    private final Supplier<List<Schedule>> schedules;
    private final Predicate<String> intentExists;
    private final Consumer<Intent> requestIntent;
    private final Clock clock;
    private final TreeSet<String> warned = new TreeSet<>();
    // Requested here but maybe not yet visible through intentExists (the CRDT write is on its way).
    private final TreeSet<String> recentlyRequested = new TreeSet<>();
    private long requested;

    public ScheduleRunner(ScheduleExpander expander, Supplier<List<Schedule>> schedules,
                          Predicate<String> intentExists, Consumer<Intent> requestIntent, Clock clock) {
        this.expander = expander;
        this.schedules = schedules;
        this.intentExists = intentExists;
        this.requestIntent = requestIntent;
        this.clock = clock;
    }

    /** Expands every schedule now; returns how many intents it requested. */
    public int tick() {
        long now = clock.nowMillis();
        recentlyRequested.removeIf(intentExists);
        if (recentlyRequested.size() > 10_000) {
            recentlyRequested.clear(); // writes that never landed; asking again is harmless
        }
        int count = 0;
        for (Schedule s : schedules.get()) {
            List<Intent> due;
            try {
                due = expander.due(s, now, id -> recentlyRequested.contains(id) || intentExists.test(id));
            } catch (IllegalArgumentException e) {
                if (warned.add(s.id() + "|" + s.cron() + "|" + s.zone() + "|" + s.catchUp())) {
                    log.warn("schedule {} is skipped: {}", s.id(), e.getMessage());
                }
                continue;
            }
            for (Intent i : due) {
                recentlyRequested.add(i.id());
                requestIntent.accept(i);
                count++;
            }
        }
        requested += count;
        return count;
    }

    /** Intents requested since start. */
    public long requested() {
        return requested;
    }
}
