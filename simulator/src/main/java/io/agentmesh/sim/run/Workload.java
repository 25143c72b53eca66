package io.agentmesh.sim.run;

import io.agentmesh.node.llm.gateway.LlmIntentExecutor;
import io.agentmesh.node.replication.Durability;
import io.agentmesh.sim.world.Rng;
import io.agentmesh.state.Task;

import java.util.List;
import java.util.SplittableRandom;

/**
 * Clients of the mesh: writes (memory entries with ids derived from the seed, task upserts over a small pool of ids
 * so that concurrent updates meet, inserts into the notes text) and reads (a task, to check that a node shows its
 * own acknowledged writes), each at a random node that is up and holds state (not a witness), at exponentially
 * distributed intervals. With consensus, also "job" intents at random running nodes, whichever side of a partition
 * they are on (drawn from a stream of their own, so the other operations of a seed stay the same with consensus on
 * or off).
 */
final class Workload {
    static final int TASK_POOL = 16;
    /** With consensus, this share of the writes asks for majority durability. */
    static final double MAJORITY_SHARE = 0.3;
    static final double CATCH_UPS_PER_SECOND = 0.2;

    private final Simulation sim;
    private final SplittableRandom random;
    private final SplittableRandom intentRandom;
    /** Which writes ask for majority durability, and when a random node catches up: streams of their own. */
    private final SplittableRandom durabilityRandom;
    private final SplittableRandom catchUpRandom;
    private final SplittableRandom llmRandom;
    private final SplittableRandom endpointRandom;
    private final String tag;
    private final long endNanos;
    private long writes;
    private long reads;
    private long intents;
    private long llmIntents;
    private long endpointCalls;

    Workload(Simulation sim, long endNanos) {
        this.sim = sim;
        this.random = Rng.stream(sim.config().seed(), "workload");
        this.intentRandom = Rng.stream(sim.config().seed(), "workload/intents");
        this.durabilityRandom = Rng.stream(sim.config().seed(), "workload/durability");
        this.catchUpRandom = Rng.stream(sim.config().seed(), "workload/catch-up");
        this.llmRandom = Rng.stream(sim.config().seed(), "workload/llm");
        this.endpointRandom = Rng.stream(sim.config().seed(), "workload/llm-endpoint");
        this.tag = Long.toHexString(sim.config().seed());
        this.endNanos = endNanos;
    }

    void start() {
        nextWrite();
        nextRead();
        if (sim.config().consensus()) {
            nextIntent();
            nextLlmIntent();
            nextEndpointCall();
            if (sim.config().writesPerSecond() > 0) {
                nextCatchUp(); // a catch-up has something to find only where there are writes
            }
        }
    }

    /** With consensus, a random node catches up from a majority now and then (new leaders do it too). */
    private void nextCatchUp() {
        long at = sim.loop().nowNanos() + 1 + (long) Rng.exponential(catchUpRandom, 1e9 / CATCH_UPS_PER_SECOND);
        if (at < endNanos) {
            sim.loop().world(at, "workload catch-up", this::catchUp);
        }
    }

    private void catchUp() {
        List<SimNode> up = sim.upStateNodes();
        int pick = catchUpRandom.nextInt(Math.max(1, up.size()));
        nextCatchUp();
        if (!up.isEmpty()) {
            up.get(pick).catchUp();
        }
    }

    private void nextIntent() {
        double rate = sim.config().intentsPerSecond();
        if (rate <= 0) {
            return;
        }
        long at = sim.loop().nowNanos() + 1 + (long) Rng.exponential(intentRandom, 1e9 / rate);
        if (at < endNanos) {
            sim.loop().world(at, "workload intent", this::intent);
        }
    }

    private void intent() {
        List<SimNode> up = sim.upStateNodes();
        int pick = intentRandom.nextInt(Math.max(1, up.size()));
        nextIntent();
        if (up.isEmpty()) {
            return;
        }
        long n = ++intents;
        up.get(pick).requestIntent("i" + n, "job-" + tag + "-" + n, "job", "{\"n\":" + n + "}");
    }

    /** With the LLM workload, {@code llm} intents at random running nodes (a stream of their own). */
    private void nextLlmIntent() {
        double rate = sim.config().llm().intentsPerSecond();
        if (rate <= 0) {
            return;
        }
        long at = sim.loop().nowNanos() + 1 + (long) Rng.exponential(llmRandom, 1e9 / rate);
        if (at < endNanos) {
            sim.loop().world(at, "workload llm intent", this::llmIntent);
        }
    }

    private void llmIntent() {
        List<SimNode> up = sim.upStateNodes();
        int pick = llmRandom.nextInt(Math.max(1, up.size()));
        int maxTokens = 50 + llmRandom.nextInt(251);
        nextLlmIntent();
        if (up.isEmpty()) {
            return;
        }
        long n = ++llmIntents;
        String payload = "{\"model\": \"" + SimLlm.MODEL + "\", \"messages\": [{\"role\": \"system\", \"content\":"
                + " \"Be brief.\"}, {\"role\": \"user\", \"content\": \"Question " + n + " of run " + tag
                + "\"}], \"maxTokens\": " + maxTokens + "}";
        up.get(pick).requestIntent("l" + n, "llm-" + tag + "-" + n, LlmIntentExecutor.KIND, payload);
    }

    /**
     * With the LLM workload, streamed calls straight to a random running node's gateway (as the agent's endpoint
     * makes them) at half the intents' rate: only a leader serves them, and a stream cut after its text reached the
     * client fails the call instead of retrying it.
     */
    private void nextEndpointCall() {
        double rate = sim.config().llm().intentsPerSecond() / 2;
        if (rate <= 0) {
            return;
        }
        long at = sim.loop().nowNanos() + 1 + (long) Rng.exponential(endpointRandom, 1e9 / rate);
        if (at < endNanos) {
            sim.loop().world(at, "workload llm endpoint call", this::endpointCall);
        }
    }

    private void endpointCall() {
        List<SimNode> up = sim.upStateNodes();
        int pick = endpointRandom.nextInt(Math.max(1, up.size()));
        int maxTokens = 50 + endpointRandom.nextInt(251);
        nextEndpointCall();
        if (up.isEmpty()) {
            return;
        }
        long n = ++endpointCalls;
        up.get(pick).llmEndpointCall("endpoint-" + tag + "-" + n, "Endpoint question " + n + " of run " + tag,
                maxTokens);
    }

    private void nextWrite() {
        double rate = sim.config().writesPerSecond();
        if (rate <= 0) {
            return;
        }
        long at = sim.loop().nowNanos() + 1 + (long) Rng.exponential(random, 1e9 / rate);
        if (at < endNanos) {
            sim.loop().world(at, "workload write", this::write);
        }
    }

    private void nextRead() {
        double rate = sim.config().readsPerSecond();
        if (rate <= 0) {
            return;
        }
        long at = sim.loop().nowNanos() + 1 + (long) Rng.exponential(random, 1e9 / rate);
        if (at < endNanos) {
            sim.loop().world(at, "workload read", this::read);
        }
    }

    private void write() {
        List<SimNode> up = sim.upStateNodes();
        double op = random.nextDouble();
        int pick = random.nextInt(Math.max(1, up.size()));
        double where = random.nextDouble();
        int taskNumber = random.nextInt(TASK_POOL);
        Task.Status status = Task.Status.values()[random.nextInt(Task.Status.values().length)];
        Durability durability = sim.config().consensus() && durabilityRandom.nextDouble() < MAJORITY_SHARE
                ? Durability.MAJORITY : Durability.LOCAL;
        nextWrite();
        if (up.isEmpty()) {
            return;
        }
        SimNode node = up.get(pick);
        long n = ++writes;
        String id = "w" + n;
        if (op < 0.6) {
            String memoryId = "m-" + tag + "-" + n;
            node.write(id, "memory", memoryId, durability, s -> s.appendMemory(node.memoryEntry(memoryId, n)));
        } else if (op < 0.85) {
            String taskId = "task-" + taskNumber;
            String detail = n % 3 == 0 ? null : "detail of write " + n;
            node.write(id, "task", taskId, durability, s -> s.upsertTask(node.task(taskId, "task " + taskNumber + " v" + n,
                    status, detail)));
        } else {
            String token = "[" + id + "]";
            node.write(id, "notes", token, durability, s -> {
                // Insert between earlier tokens, never inside one, so each token stays findable.
                String notes = s.notes();
                List<Integer> boundaries = new java.util.ArrayList<>();
                boundaries.add(0);
                for (int i = 0; i < notes.length(); i++) {
                    if (notes.charAt(i) == ' ') {
                        boundaries.add(i + 1);
                    }
                }
                int at = boundaries.get((int) Math.min(boundaries.size() - 1, Math.floor(where * boundaries.size())));
                return s.editNotes(at, 0, token + " ").orElseThrow();
            });
        }
    }

    private void read() {
        List<SimNode> up = sim.upStateNodes();
        int pick = random.nextInt(Math.max(1, up.size()));
        int taskNumber = random.nextInt(TASK_POOL);
        nextRead();
        if (up.isEmpty()) {
            return;
        }
        reads++;
        up.get(pick).readTask("task-" + taskNumber);
    }

    long writes() {
        return writes;
    }

    long reads() {
        return reads;
    }

    long intents() {
        return intents;
    }

    long llmIntents() {
        return llmIntents;
    }
}
