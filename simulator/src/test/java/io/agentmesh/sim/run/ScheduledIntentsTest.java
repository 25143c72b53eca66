package io.agentmesh.sim.run;

import io.agentmesh.sim.world.RecordingExecutor;
import io.agentmesh.state.Schedule;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Cron schedules in the replicated state, expanded by whichever node leads. */
class ScheduledIntentsTest {
    @Test
    void aMinuteScheduleFiresOncePerMinuteAcrossALeaderKill() {
        Cluster c = new Cluster(3, 8);
        c.awaitStableLeader(5_000);
        SimNode writer = c.node(0);
        Schedule tick = new Schedule("tick", "* * * * *", "UTC", "job", "{}", "all:10", writer.clock.nowMillis());
        writer.write("schedule tick", "schedule", "tick", s -> s.addSchedule(tick));
        c.runFor(150_000);
        c.kill(c.leader().orElseThrow(() -> new AssertionError(c.state())).index);
        c.runFor(150_000);

        TreeMap<String, Integer> perIntent = new TreeMap<>();
        for (RecordingExecutor.Ledger.Call call : c.ledger().calls()) {
            perIntent.merge(call.intentId(), 1, Integer::sum);
        }
        assertEquals(5, perIntent.size(), perIntent.toString()); // the runs start on a minute: five in 300 s
        perIntent.keySet().forEach(id -> {
            assertTrue(id.startsWith("tick@") && id.endsWith(":00Z"), id);
            assertEquals(1, c.ledger().performs(id), id);
        });
        assertEquals(List.of(), c.ledger().performedMoreThanOnce());
        c.finishAndCheck();
    }
}
