package io.agentmesh.node.actions;

import io.agentmesh.node.port.Scheduler;
import io.agentmesh.state.Intent;
import io.agentmesh.state.Outcome;
import io.microraft.Ordered;
import io.microraft.exception.CannotReplicateException;
import io.microraft.exception.IndeterminateStateException;
import io.microraft.exception.NotLeaderException;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;

/**
 * Action coordinators of a few members over one replicated journal, without Raft: a leader's operation commits 1 ms
 * after it is sent, the leader applies it at once, and followers apply it only with the next entry (as Raft followers
 * learn a commit index from the next append). Each member has its own CRDT outcomes; a write reaches every
 * member linked to the writer at once, as gossip does. A member cut off keeps its writes until {@link #heal}, where
 * the two sides' different outcomes for the same intent resolve to the healed member's: the worst case for a late
 * report, as a CRDT may keep either of two concurrent writes.
 */
final class JournalMesh {
    static final long POLL_MS = 50;
    static final long HOLDER_WAIT_MS = 2_000;

    record Applied(long getCommitIndex, Object getResult) implements Ordered<Object> {
    }

    final VirtualTime time = new VirtualTime();
    final List<Intent> intents = new ArrayList<>();
    private final List<JournalOp> log = new ArrayList<>();
    private final Map<String, Member> members = new TreeMap<>();
    private Member leader;
    private long term;
    /** Whether operations in flight when their leader is deposed still commit (their sender never learns it). */
    boolean lateCommits;

    final class Member {
        final String name;
        final ActionJournal journal = new ActionJournal(1_000);
        final TreeMap<String, Outcome> crdt = new TreeMap<>();
        final ActionCoordinator coordinator;
        /** Operations this member sent to be committed, in order. */
        final List<JournalOp> sent = new ArrayList<>();
        /** Operations refused at once as if the log were full (MicroRaft's back-pressure). */
        java.util.function.Predicate<JournalOp> logFull = op -> false;
        // Sent while leading and not answered yet, in order.
        private final List<JournalOp> inFlight = new ArrayList<>();
        private int applied;
        private boolean up = true;
        private boolean linked = true;

        private Member(String name, ActionExecutor executor) {
            this.name = name;
            // This member's thread: a crashed member runs nothing more, not even what was already queued.
            Scheduler thread = new Scheduler() {
                @Override
                public void execute(Runnable task) {
                    time.execute(() -> runIfUp(task));
                }

                @Override
                public Cancellable schedule(Runnable task, long delayMs) {
                    return time.schedule(() -> runIfUp(task), delayMs);
                }
            };
            this.coordinator = new ActionCoordinator(name, journal, List.of(executor),
                    () -> intents.stream().filter(i -> !crdt.containsKey(i.id())).toList(), this::write,
                    id -> Optional.ofNullable(crdt.get(id)), this::reaches, thread, time, 16, POLL_MS,
                    HOLDER_WAIT_MS);
            coordinator.start(this::replicate);
        }

        private void runIfUp(Runnable task) {
            if (up) {
                task.run();
            }
        }

        private boolean reaches(String holder) {
            Member h = members.get(holder);
            return h != null && h != this && h.up && h.linked && up && linked;
        }

        private void write(Intent intent, Outcome outcome) {
            crdt.put(intent.id(), outcome);
            if (!linked) {
                return;
            }
            for (Member m : members.values()) {
                if (m != this && m.up && m.linked) {
                    m.crdt.put(intent.id(), outcome);
                    m.coordinator.nudge();
                }
            }
        }

        private Object applyUpTo(int index) {
            Object result = null;
            while (applied < index) {
                applied++;
                result = journal.runOperation(applied, log.get(applied - 1));
            }
            return result;
        }

        private CompletableFuture<Ordered<Object>> replicate(JournalOp op) {
            CompletableFuture<Ordered<Object>> f = new CompletableFuture<>();
            sent.add(op);
            if (leader == this && logFull.test(op)) {
                time.execute(() -> f.completeExceptionally(new CannotReplicateException(null)));
                return f;
            }
            if (leader != this) {
                time.execute(() -> f.completeExceptionally(new NotLeaderException(null, null)));
                return f;
            }
            long sentInTerm = term;
            inFlight.add(op);
            time.schedule(() -> {
                if (!up) {
                    return; // a dead process hears nothing back
                }
                if (leader != this || term != sentInTerm) {
                    inFlight.remove(op);
                    f.completeExceptionally(new IndeterminateStateException());
                    return;
                }
                inFlight.remove(op);
                log.add(op);
                int index = log.size();
                Object result = null;
                for (Member m : members.values()) {
                    if (m == this) {
                        result = m.applyUpTo(index);
                    } else if (m.up && m.linked) {
                        m.applyUpTo(index - 1);
                    }
                }
                f.complete(new Applied(index, result));
            }, 1);
            return f;
        }
    }

    Member add(String name, ActionExecutor executor) {
        Member m = new Member(name, executor);
        members.put(name, m);
        return m;
    }

    void request(String intentId, String kind) {
        intents.add(new Intent(intentId, kind, "{}", "someone", time.nowMillis()));
        members.values().forEach(m -> m.coordinator.nudge());
    }

    /** An intent an agent run requested under {@code fence} ({@code <term>.<index>}), as it reached the CRDT. */
    void requestFenced(String intentId, String kind, String fence) {
        intents.add(new Intent(intentId, kind, "{}", "agent", time.nowMillis(), fence));
        members.values().forEach(m -> m.coordinator.nudge());
    }

    /** {@code m}, leading, commits an agent run carrying {@code carried} over; the future has the journal's answer. */
    CompletableFuture<Ordered<Object>> runAgent(Member m, List<String> carried) {
        return m.replicate(JournalOp.AgentRun.superseding(m.name, term, 500,
                m.journal.agentFence().map(AgentFence::token).orElse(null), carried));
    }

    long term() {
        return term;
    }

    /**
     * {@code m} wins an election in a new term; every other member up and linked hears of it. With {@link
     * #lateCommits}, what the old leader had in flight was already on a majority, so the new leader's log holds it and
     * its first entry commits it; the message that brought it told the followers what had committed before it.
     */
    void elect(Member m) {
        if (lateCommits && leader != null && leader != m) {
            log.addAll(leader.inFlight);
            leader.inFlight.clear();
            for (Member other : members.values()) {
                if (other.up && other.linked && other != leader) {
                    other.applyUpTo(log.size() - 1);
                }
            }
        }
        term++;
        leader = m;
        for (Member other : members.values()) {
            if (other.up && (other.linked || other == m)) {
                other.coordinator.leadership(other == m, term);
            }
        }
    }

    /** {@code m} is cut off from the others: it can no longer commit, and hears nothing. */
    void partition(Member m) {
        m.linked = false;
        if (leader == m) {
            leader = null;
        }
    }

    /** {@code m} notices it lost its majority and steps down. */
    void stepDown(Member m) {
        m.coordinator.leadership(false, term);
    }

    /** kill -9. */
    void crash(Member m) {
        m.up = false;
        m.coordinator.stop();
        if (leader == m) {
            leader = null;
        }
    }

    /** {@code m} is linked again: it learns the committed log and the current term, and the CRDTs merge. */
    void heal(Member m) {
        m.linked = true;
        m.applyUpTo(log.size());
        m.coordinator.leadership(leader == m, term);
        for (Member other : members.values()) {
            if (other == m || !other.up || !other.linked) {
                continue;
            }
            for (Map.Entry<String, Outcome> e : m.crdt.entrySet()) {
                other.crdt.put(e.getKey(), e.getValue());
            }
            for (Map.Entry<String, Outcome> e : other.crdt.entrySet()) {
                m.crdt.putIfAbsent(e.getKey(), e.getValue());
            }
            other.coordinator.nudge();
        }
        m.coordinator.nudge();
    }
}
